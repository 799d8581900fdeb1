"""Ingest: turning what sources send into call records for the store."""
