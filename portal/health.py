"""`/healthz`: is the database answering, and the broker?"""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception:
        logger.exception("Health check: database unavailable")
        return "unavailable"


def _broker() -> str:
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return "ok"
    except Exception:
        logger.warning("Health check: broker unavailable", exc_info=True)
        return "unavailable"


def healthz(request: HttpRequest) -> JsonResponse:
    database, broker = _database(), _broker()
    healthy = database == "ok"
    return JsonResponse(
        {
            "status": "ok" if healthy and broker == "ok" else "degraded",
            "database": database,
            "broker": broker,
        },
        status=200 if healthy else 503,
    )
