"""The errors telcolens raises on purpose, one root and a few meanings.

Each meaning is translated once: to an HTTP status by the API's exception handler
(``telcolens.api.app``) and to an exit code by the CLI. Anything else that escapes is
a bug and shows as one (a 500, a traceback): code catches only the errors it raises.
"""

from __future__ import annotations


class TelcolensError(Exception):
    """Something the user asked for cannot be done; the message says why."""

    http_status = 400
    exit_code = 2


class BadInput(TelcolensError):
    """The input is malformed or out of range."""

    http_status = 422


class NotFound(TelcolensError):
    """The thing asked for does not exist."""

    http_status = 404


class Conflict(TelcolensError):
    """The action does not apply to the object's current state (or someone got there first)."""

    http_status = 409


class TooManyAttempts(TelcolensError):
    """Throttled: try again after ``retry_after`` seconds."""

    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(TelcolensError):
    """A dependency (the store, a setting) is busy or missing; trying later may work."""

    http_status = 503
    exit_code = 3
