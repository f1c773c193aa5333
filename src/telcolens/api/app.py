"""The FastAPI application, built from the capability registry.

The platform's routers (logins, administration) and each registered capability's
routers and app hook; the console with each capability's pages; the OpenAPI docs; /health.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from telcolens import __version__
from telcolens.api import admin, auth, console, errors
from telcolens.api.deps import COOKIE, current_user, request_token
from telcolens.api.security import SecurityMiddleware
from telcolens.capabilities import capabilities, resolve
from telcolens.settings import get_settings
from telcolens.store.db import check_current, make_engine, upgrade
from telcolens.store.users import session_user
from telcolens.web import VENDOR_URL, mount_console, page


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    version: str


PLATFORM_ROUTERS = (auth.router, admin.router)


def create_app(database_url: str | None = None, *, migrate: bool = True) -> FastAPI:
    """The app on the store at ``database_url`` (default: ``TELCOLENS_DATABASE_URL``).

    With ``migrate`` (the default) it brings an empty or older database up to date
    first; without, it refuses to start on a database behind the code.
    """
    engine = make_engine(database_url)
    if migrate:
        upgrade(engine)
    else:
        check_current(engine)
    app = FastAPI(
        lifespan=_lifespan,
        title="telcolens",
        version=__version__,
        summary="Operations intelligence for a telecom operator.",
        # Served below behind a login, from local assets (no CDN on an intranet).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.engine = engine
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    for router in PLATFORM_ROUTERS:
        app.include_router(router)
    for cap in capabilities():
        for ref in cap.routers:
            app.include_router(resolve(ref))
        if cap.app_hook:
            resolve(cap.app_hook)(app)
    errors.install(app)
    _add_docs(app)
    # A thread of its own: /health answers even while every request thread is busy.
    health_limiter = anyio.CapacityLimiter(1)

    def ping() -> bool:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # any failure to reach the store means "not healthy", never a trace
            return False
        return True

    @app.get("/health", tags=["health"], response_model=Health)
    async def health() -> JSONResponse:
        """Liveness and database reachability; the one endpoint open without login."""
        if not await anyio.to_thread.run_sync(ping, limiter=health_limiter):
            # The error shape (detail), plus the fields a monitor reads on a 200.
            body = {"detail": "the database is unreachable", "status": "error"}
            return JSONResponse({**body, "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "version": __version__})

    settings = get_settings()
    origins = [o for o in settings.allowed_origins.split(",") if o.strip()]
    app.add_middleware(SecurityMiddleware, cookie=COOKIE, allowed_origins=origins)

    _add_console(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Endpoints and dependencies that touch the store run in worker threads. Many threads
    # contending for the GIL answer slower than a few: requests wait on the event loop
    # instead, where waiting costs nothing (see docs/benchmarks.md).
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().api_threads
    yield


def _add_docs(app: FastAPI) -> None:
    logged_in = [Depends(current_user)]

    plain = app.openapi

    def documented() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = errors.document(plain())
        return app.openapi_schema

    app.openapi = documented  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False, dependencies=logged_in)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=logged_in)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="telcolens API",
            swagger_js_url=f"{VENDOR_URL}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR_URL}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR_URL}/favicon.svg",
        )


def _add_console(app: FastAPI) -> None:
    """The console's two pages (the index behind a login) and its assets."""

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        token = request_token(request)
        with request.app.state.sessions() as session:
            if not token or session_user(session, token) is None:
                return RedirectResponse("/login", status_code=303)
        return page("index.html")

    @app.get("/login", include_in_schema=False)
    def login_page() -> Response:
        return page("login.html")

    mount_console(app, console.page_folders())


def app_from_settings() -> FastAPI:
    """The app on ``TELCOLENS_DATABASE_URL``, for ``uvicorn --factory`` (migrated already)."""
    return create_app(get_settings().database_url, migrate=False)
