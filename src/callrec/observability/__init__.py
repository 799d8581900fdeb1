"""What the service tells its operator: Prometheus metrics and log lines in one format.

Neutral ground: the API, ingest, push and the CLI all record here, and nothing here imports
them, so the one-way flow (source, ingest, rating, store, faces) stays one way.
"""
