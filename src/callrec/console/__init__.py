"""The web console: server-rendered pages over the same operations as the CLI and admin API.

``app.create_console_app`` builds it; callrec.api.app mounts it at ``/console``. One module
per page family in ``pages/``; templates and static files live in this package.
"""
