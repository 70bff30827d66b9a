"""The scope columns lose their single-column indexes: every scope index leads with its column,
so these only cost writes. Dropped with plain SQL, because SQLite would rebuild the whole table
(and lose the search triggers) for an AlterField."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0007_attachment_uploader_size'),
        ('organizations', '0003_user_session_epoch'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.AlterField(
            model_name='servicerequest',
            name='district',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization', verbose_name='district'),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='district_department',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization'),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='enterprise',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization', verbose_name='enterprise'),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='municipal',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization'),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='municipal_department',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization'),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='park',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization', verbose_name='park'),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='provincial',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization'),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='provincial_department',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization'),
        ),
            ],
            database_operations=[
            migrations.RunSQL(
                'DROP INDEX IF EXISTS "casework_request_enterprise_id_4d6e7319"',
                'CREATE INDEX "casework_request_enterprise_id_4d6e7319" ON "casework_request" ("enterprise_id")',
            ),
            migrations.RunSQL(
                'DROP INDEX IF EXISTS "casework_request_park_id_e0d93491"',
                'CREATE INDEX "casework_request_park_id_e0d93491" ON "casework_request" ("park_id")',
            ),
            migrations.RunSQL(
                'DROP INDEX IF EXISTS "casework_request_district_id_48f8012c"',
                'CREATE INDEX "casework_request_district_id_48f8012c" ON "casework_request" ("district_id")',
            ),
            migrations.RunSQL(
                'DROP INDEX IF EXISTS "casework_request_municipal_id_2cf830f2"',
                'CREATE INDEX "casework_request_municipal_id_2cf830f2" ON "casework_request" ("municipal_id")',
            ),
            migrations.RunSQL(
                'DROP INDEX IF EXISTS "casework_request_provincial_id_8451c407"',
                'CREATE INDEX "casework_request_provincial_id_8451c407" ON "casework_request" ("provincial_id")',
            ),
            migrations.RunSQL(
                'DROP INDEX IF EXISTS "casework_request_district_department_id_a2313307"',
                'CREATE INDEX "casework_request_district_department_id_a2313307" ON "casework_request" ("district_department_id")',
            ),
            migrations.RunSQL(
                'DROP INDEX IF EXISTS "casework_request_municipal_department_id_0859779c"',
                'CREATE INDEX "casework_request_municipal_department_id_0859779c" ON "casework_request" ("municipal_department_id")',
            ),
            migrations.RunSQL(
                'DROP INDEX IF EXISTS "casework_request_provincial_department_id_1adb6d8e"',
                'CREATE INDEX "casework_request_provincial_department_id_1adb6d8e" ON "casework_request" ("provincial_department_id")',
            ),
            ],
        )
    ]
