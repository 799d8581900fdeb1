"""``GET /readyz``: can this process serve? The database within a short timeout, and Redis.

The database is required: without it the answer is 503, so a load balancer takes the process
out of rotation. Redis is not: the guard fails open without it (the lockout and the rate limit
stop, signatures are still checked), so the answer stays 200 with ``"status": "degraded"`` and
says so, as it does while the Redis circuit breaker is open.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import text

from callrec.api.database import DatabaseRunner
from callrec.api.redis_guarded import GuardedRedis

log = logging.getLogger("callrec.api")

DATABASE_TIMEOUT_SECONDS = 2.0


def ping_database(database: DatabaseRunner) -> None:
    """One trivial statement on a pooled connection (run on the database thread)."""
    with database.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def database_reachable(database: DatabaseRunner, timeout: float) -> bool:
    try:
        async with asyncio.timeout(timeout):
            await database.run(ping_database, database)
    except Exception:
        log.warning("readiness: database unreachable", exc_info=True)
        return False
    return True


async def _redis_report(redis: GuardedRedis) -> dict[str, str]:
    answered = await redis.call("readiness ping", lambda client: client.ping(), False)
    return {
        "redis": "ok" if answered else "unreachable: the lockout and rate limit fail open",
        "redisBreaker": redis.state.value,
    }


async def readiness(
    database: DatabaseRunner,
    redis: GuardedRedis | None,
    timeout: float = DATABASE_TIMEOUT_SECONDS,
) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the report."""
    report: dict[str, Any] = {"database": "ok"}
    if redis is not None:
        report.update(await _redis_report(redis))
    if not await database_reachable(database, timeout):
        report["database"] = "unreachable"
        return 503, {"status": "error", **report}
    degraded = redis is not None and report["redis"] != "ok"
    return 200, {"status": "degraded" if degraded else "ok", **report}
