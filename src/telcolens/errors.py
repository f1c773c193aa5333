"""The errors telcolens raises on purpose, one root and a few meanings.

Each meaning is translated once: to an HTTP status by the API's exception handler
(``telcolens.api.errors``) and to an exit code by the CLI's command group
(``telcolens.console.Group``). Anything else that escapes is a bug and shows as one
(a 500, a traceback and exit 1): code catches only the errors it raises.

Each module's own error (``IngestError``, ``FraudDataError``, ``StoreError``, ...)
subclasses the meaning that fits it; ``tests/test_errors.py`` keeps the CLI and API
free of ``except ValueError`` / ``except Exception`` around pipeline calls.
"""

from __future__ import annotations


class TelcolensError(Exception):
    """Something the user asked for cannot be done; the message says why."""

    http_status = 400
    exit_code = 2


class BadInput(TelcolensError, ValueError):
    """The input is malformed or out of range.

    Also a :class:`ValueError`, so that callers written against the built-in keep
    working; new code catches ``BadInput`` (or the module's own subclass), never
    ``ValueError``, which would also catch the bugs of pandas, pyarrow or LightGBM.
    """

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
