"""The service's Prometheus metrics, each defined once for every process that records it.

Under ``callrec serve --workers N`` the supervisor sets ``PROMETHEUS_MULTIPROC_DIR`` before
starting the workers, so these objects write to files there and any process can add them up
(``exposition.py``). Labels stay bounded: route templates, contract or HTTP statuses, a few
fixed reasons and outcomes, and the names of configured ingest sources; never a raw path, an
address or an API key.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds; page-1 cache hits take well under a millisecond, a cold PostgreSQL page tens.
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
DELIVERY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

REQUESTS = Counter(
    "callrec_http_requests",
    "HTTP requests answered, by route template, method and status: the contract status "
    "(0, -1, -22, ...) for queryPage, whose answers are all HTTP 200; the HTTP status otherwise.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "callrec_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template.",
    ["route"],
    buckets=REQUEST_BUCKETS,
)
HTTP_REFUSALS = Counter(
    "callrec_http_refusals",
    "Connections the HTTP layer answered or closed before the app saw a request: "
    "head_too_large (431), head_timeout and body_timeout (408), too_many_connections (503), "
    "bad_request (400, an unparsable request).",
    ["reason"],
)
GUARD_REFUSALS = Counter(
    "callrec_guard_refusals",
    "queryPage requests refused by the guard: deny_list and lockout (-2), rate_limit (-15).",
    ["reason"],
)
AUTH_FAILURES = Counter(
    "callrec_auth_failures",
    "queryPage -1 answers (bad headers, unknown key, wrong sign), each counted toward lockout.",
)
PAGE_CACHE_LOOKUPS = Counter(
    "callrec_page_cache_lookups",
    "queryPage answer cache lookups, by result (hit, miss).",
    ["result"],
)
CREDENTIALS_READS = Counter(
    "callrec_credentials_reads",
    "API key credentials read from PostgreSQL by the query path: waited (a request waited "
    "for the read) or ahead (read in the background before the held entry expired).",
    ["how"],
)
REDIS_BREAKER_STATE = Gauge(
    "callrec_redis_breaker_state",
    "The Redis circuit breaker: 0 closed, 1 half-open, 2 open (the worst of live workers).",
    multiprocess_mode="livemax",
)
REDIS_BREAKER_OPENED = Counter(
    "callrec_redis_breaker_opened",
    "Times the Redis circuit breaker opened (Redis skipped, lockout and rate limit fail open).",
)
INGEST_ITEMS = Counter(
    "callrec_ingest_items",
    "CDRs received over HTTP ingest, by ingest source and outcome (accepted, duplicate, "
    "conflict, quarantined, skipped, rejected); a conflict is also counted as a duplicate.",
    ["source", "outcome"],
)
PUSH_DELIVERIES = Counter(
    "callrec_push_deliveries",
    "Push deliveries tried, by outcome: delivered, or the kind of failure (http_status, "
    "timeout, connection, refused, error).",
    ["outcome"],
)
PUSH_DELIVERY_SECONDS = Histogram(
    "callrec_push_delivery_duration_seconds",
    "Time one push delivery took, success or failure.",
    buckets=DELIVERY_BUCKETS,
)
DB_CONNECTIONS_IN_USE = Gauge(
    "callrec_db_connections_in_use",
    "Database connections checked out of a pool right now, summed over live workers: "
    "sqlalchemy (ingest, health, push) and reader (the queryPage PostgreSQL reads).",
    ["pool"],
    multiprocess_mode="livesum",
)
