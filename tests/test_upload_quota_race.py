"""Two uploads at once that only fit the organisation's quota one at a time: exactly one gets
in. Real threads, each with its own database connection; a module of its own, all of it
transactional (see `pytest_collection_modifyitems` in tests/conftest.py)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from apps.casework.models import Attachment
from tests.test_attachments_messages import stored_files
from tests.test_upload_quota import SIZE, api_upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_uploads_that_only_fit_one_at_a_time_let_exactly_one_in(
    api, make_request, quota, upload_root
):
    sr = make_request()
    quota(SIZE + SIZE // 2)
    barrier = threading.Barrier(2, timeout=60)
    results: list[Any] = [None, None]

    def work(index: int, username: str) -> None:
        client = api(username)
        try:
            barrier.wait()
            results[index] = api_upload(lambda _name: client, username, sr).status_code
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(i, name), daemon=True)
        for i, name in enumerate(["ent_pregene", "ent_pregene2"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [201, 400], results
    assert Attachment.objects.filter(request=sr).count() == 1
    assert len(stored_files(upload_root)) == 1
