"""The ``callrec`` command line."""

from callrec.cli.main import app, main

__all__ = ["app", "main"]
