"""The HTTP API: the vendor-compatible queryPage endpoint, health and OpenAPI docs."""

from callrec.api.app import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
