"""Plausible demo data for ``make run``: deterministic from a seed."""
