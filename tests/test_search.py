"""`search` finds a reference or words of the title or description, in both languages, whichever
index answers (apps/casework/search.py)."""

from __future__ import annotations

import pytest

from apps.casework import search

LIST = "/api/v1/requests/"


@pytest.fixture
def filed(make_request):
    return {
        "cart": make_request("ent_pregene", title="CAR-T 临床试验方案变更", description="剂量递增队列"),
        "gmp": make_request("ent_wytd", title="GMP inspection before launch", description="Site readiness."),
        "ecg": make_request("ent_wytd", title="ECG algorithm", description="需要 GMP 符合性检查吗？"),
    }


def found(api, term: str) -> set[int]:
    r = api("liaison_sbip").get(LIST, {"search": term})
    assert r.status_code == 200, r.content
    return {row["id"] for row in r.json()["results"]}


@pytest.mark.parametrize(
    "few", [search.FEW_MATCHES, 0], ids=["rare words from the index", "common words by walking"]
)
def test_search_matches_title_or_description_in_any_case(api, filed, monkeypatch, few):
    monkeypatch.setattr(search, "FEW_MATCHES", few)
    assert found(api, "gmp") == {filed["gmp"].pk, filed["ecg"].pk}
    assert found(api, "inspection BEFORE") == {filed["gmp"].pk}
    assert found(api, "临床试验") == {filed["cart"].pk}
    assert found(api, "递增队") == {filed["cart"].pk}
    assert found(api, filed["ecg"].reference.lower()) == {filed["ecg"].pk}
    assert found(api, "nothing like this") == set()


def test_two_character_chinese_words_are_found_too(api, filed):
    """A trigram cannot hold two characters; the scope is walked instead."""
    assert found(api, "临床") == {filed["cart"].pk}


def test_search_never_reaches_beyond_what_the_caller_sees(api, filed):
    r = api("liaison_haidian").get(LIST, {"search": "GMP"})
    assert r.json()["count"] == 0


def test_quotes_and_operators_are_words_not_syntax(api, filed):
    for term in ['"GMP', 'GMP" OR "ECG', "NEAR(GMP ECG)", "GMP*", "title:GMP"]:
        r = api("liaison_sbip").get(LIST, {"search": term})
        assert r.status_code == 200, (term, r.content)
    assert found(api, 'GMP" OR "ECG') == set()


@pytest.mark.django_db
def test_the_search_index_is_kept_in_step_by_triggers_on_sqlite():
    """A migration that makes SQLite rebuild the request table would drop the triggers silently:
    the migrated test database must still have them."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 triggers; PostgreSQL indexes the columns themselves")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'casework_request'"
        )
        triggers = {row[0] for row in cursor.fetchall()}
    assert triggers == {
        "casework_request_fts_insert",
        "casework_request_fts_delete",
        "casework_request_fts_update",
    }
