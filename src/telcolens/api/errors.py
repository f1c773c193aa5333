"""One error shape for the whole API, and the statuses each operation documents.

Every error answers ``{"detail": "<what went wrong, for a person>"}``; a 422 adds
``errors``, the fields at fault. :class:`telcolens.errors.TelcolensError` subclasses map
to their statuses here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from telcolens.errors import TelcolensError, TooManyAttempts, Unavailable


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    detail: str = Field(description="What went wrong, in words for a person.")
    errors: list[FieldError] | None = Field(None, description="With a 422: the fields at fault.")


DESCRIPTIONS = {
    400: "The request is malformed.",
    401: "Not logged in (or the login ended).",
    403: "The user's role may not do this, or a cross-origin change was refused.",
    404: "No such object.",
    409: "The object's state does not allow this, or another request changed it first.",
    422: "A parameter or the body is invalid.",
    429: "Too many failed logins; see Retry-After.",
    503: "The store is busy or a dependency is missing; try again (see Retry-After).",
}


def install(app: FastAPI) -> None:
    """The exception handlers of the one error shape."""
    app.add_exception_handler(TelcolensError, _telcolens_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(405, _method_not_allowed)


async def _telcolens_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TelcolensError)
    headers = {}
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Unavailable):
        headers["Retry-After"] = "1"
    return JSONResponse({"detail": str(exc)}, status_code=exc.http_status, headers=headers)


async def _method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """405 with ``Allow`` naming every method of the path.

    The router names only the first route that matched the path, and a path has one
    route per method here (``GET`` and ``POST /api/admin/users``): ask the router which
    methods it would route.
    """
    assert isinstance(exc, StarletteHTTPException)
    scope = request.scope
    allowed = [
        method
        for method in METHODS
        if any(
            route.matches({**scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]
    headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
    return JSONResponse({"detail": exc.detail}, status_code=405, headers=headers)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in e["loc"]],
            "msg": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
    return JSONResponse({"detail": f"invalid request: {where}", "errors": errors}, 422)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (the app's OpenAPI document) with every operation's error statuses.

    Each operation lists the errors it can give: 401/403 behind a login, 404 with an id
    in its path, 409 for a change, 400 with a body (one that is not JSON), 422 with
    parameters or a body, 503 always (a busy store); 429 for the login. FastAPI's own
    422 shape is replaced by the one above.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components.update(components["ErrorBody"].pop("$defs", {}))
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": "telcolens_session"},
        # A device's own credential (a home gateway's Bulk Data profile), not a user's.
        "gateway": {"type": "http", "scheme": "basic"},
    }
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            statuses = _statuses(path, method, op)
            responses = op.setdefault("responses", {})
            for code in statuses:
                responses[str(code)] = {
                    "description": DESCRIPTIONS[code],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                    },
                }
            if path not in OPEN and "security" not in op:  # an operation may name its own
                op["security"] = [{"bearer": []}, {"cookie": []}]
    return schema


OPEN = {"/api/auth/login", "/health"}


def _statuses(path: str, method: str, op: dict[str, Any]) -> list[int]:
    out = [503]
    if path not in OPEN:
        out += [401, 403]
    if "{" in path:
        out.append(404)
    if method in {"post", "put", "patch", "delete"}:
        out.append(409)
        if path == "/api/auth/login":
            out = [403, 429, 401, 503]
    if op.get("requestBody"):
        out.append(400)  # a body that is not JSON (or not UTF-8) at all
    if op.get("parameters") or (op.get("requestBody") and path not in RAW_BODY):
        out.append(422)
    return sorted(set(out))


# Operations that read their body themselves: a body not as documented is a 400.
RAW_BODY = {"/api/faults/ves", "/api/broadband/bulkdata"}
