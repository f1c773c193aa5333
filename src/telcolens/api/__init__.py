"""The telcolens API (FastAPI): one router per capability, roles checked on the server."""

from telcolens.api.app import create_app

__all__ = ["create_app"]
