"""The operator admin API, mounted at /admin/v1: a thin HTTP face over callrec.operations."""
