"""Indexes for `search` that the model cannot declare for both databases: trigram GIN indexes
on PostgreSQL, an FTS5 trigram table kept in step by triggers on SQLite. The statements live in
apps/casework/search.py, beside the code that relies on them."""

from django.db import migrations


def create(apps, schema_editor):
    from apps.casework.search import create_search_indexes

    create_search_indexes(schema_editor)


def drop(apps, schema_editor):
    from apps.casework.search import drop_search_indexes

    drop_search_indexes(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("casework", "0005_scope_state_and_waiting_indexes")]

    operations = [migrations.RunPython(create, drop)]
