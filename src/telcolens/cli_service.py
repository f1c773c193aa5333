"""``telcolens db``, ``telcolens users`` and ``telcolens serve``: the service's commands."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from telcolens.cli_options import DatabaseOption
from telcolens.console import Group, console, err_console
from telcolens.errors import BadInput

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

# cls=Group: a TelcolensError -> one line and its exit code, wherever the group is mounted.
db_app = typer.Typer(
    name="db", help="The operational store: migrations.", no_args_is_help=True, cls=Group
)
users_app = typer.Typer(
    name="users", help="Console and API users.", no_args_is_help=True, cls=Group
)


def engine_or_fail(url: str | None, *, migrate: bool = True):
    """An engine on the store, migrated up to date (or checked, without ``migrate``).

    A bad URL, a store that is behind, or one the driver cannot reach (server down, bad
    credentials, a file that cannot be opened) is a :class:`~telcolens.store.db.StoreError`.
    """
    from telcolens.store.db import check_current, make_engine, upgrade

    engine = _reached(make_engine(url))  # a bad URL or a missing driver: StoreError too
    upgrade(engine) if migrate else check_current(engine)
    return engine


def _reached(engine: Engine) -> Engine:
    """``engine`` once a connection opened; the driver's refusal (server down, bad
    credentials, a file that cannot be opened) as a StoreError. Only the connecting:
    a migration's own driver error is a bug and keeps its traceback."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from telcolens.store.db import StoreError

    try:
        engine.connect().close()
    except (OperationalError, InterfaceError) as exc:
        first_line = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise StoreError(f"cannot use the store: {first_line}") from None
    return engine


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """Create or update the store's tables (Alembic migrations up to the latest)."""
    from telcolens.store.db import current_revision

    engine = engine_or_fail(database_url)
    console.print(
        f"{engine.url.render_as_string(hide_password=True)} is at revision "
        f"{current_revision(engine)} (latest)"
    )


@db_app.command("current")
def db_current(database_url: DatabaseOption = None) -> None:
    """Show the store's migration revision and the latest the code knows."""
    from telcolens.store.db import current_revision, head_revision, make_engine

    engine = _reached(make_engine(database_url))
    have, want = current_revision(engine), head_revision()
    console.print(f"store: {have or 'empty'}; code: {want}")
    if have != want:
        raise typer.Exit(1)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, fraud_analyst, police_liaison, ...")],
    password_env: Annotated[
        str | None,
        typer.Option(help="Read the password from this environment variable instead."),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create a user. Asks for the password (or takes it from --password-env)."""
    from telcolens.store.users import create_user

    password = _password(password_env)
    with _unit(database_url) as session:
        create_user(session, name, role, password, actor=_os_user())
    console.print(f"User [bold]{name}[/] ({role}) created")


def _password(env: str | None) -> str:
    if env:
        password = os.environ.get(env)
        if not password:
            raise BadInput(f"environment variable {env} is empty or unset")
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@contextmanager
def _unit(database_url: str | None) -> Iterator[Session]:
    """One transaction on the store: committed when the block ends, rolled back if it raises."""
    from sqlalchemy.orm import sessionmaker

    from telcolens.store.db import transaction

    engine = engine_or_fail(database_url)
    with transaction(sessionmaker(engine)) as session:
        yield session


NameArgument = Annotated[str, typer.Argument(help="Login name.")]


@users_app.command("disable")
def users_disable(name: NameArgument, database_url: DatabaseOption = None) -> None:
    """Disable a user: their logins end at once and they cannot log in until enabled."""
    from telcolens.store.users import disable_user

    with _unit(database_url) as session:
        disable_user(session, name, actor=_os_user())
    console.print(f"User [bold]{name}[/] disabled; their logins ended")


@users_app.command("enable")
def users_enable(name: NameArgument, database_url: DatabaseOption = None) -> None:
    """Enable a disabled user again (and forget their failed logins)."""
    from telcolens.store.throttle import forget, keys
    from telcolens.store.users import enable_user

    with _unit(database_url) as session:
        enable_user(session, name, actor=_os_user())
        forget(session, keys(name, None))
    console.print(f"User [bold]{name}[/] enabled")


@users_app.command("set-password")
def users_set_password(
    name: NameArgument,
    password_env: Annotated[
        str | None,
        typer.Option(help="Read the new password from this environment variable instead."),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Set a user's password (asks for it); their logins end."""
    from telcolens.store.users import set_password

    password = _password(password_env)
    with _unit(database_url) as session:
        set_password(session, name, password, actor=_os_user())
    console.print(f"Password of [bold]{name}[/] set; their logins ended")


@users_app.command("sessions")
def users_sessions(
    name: NameArgument,
    end: Annotated[bool, typer.Option("--end", help="End every login of the user.")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Show how many live logins a user has; with --end, end them all."""
    from telcolens.store.users import end_sessions, get_user, live_sessions

    with _unit(database_url) as session:
        if end:
            ended = end_sessions(session, name, actor=_os_user())
            console.print(f"{ended} login(s) of [bold]{name}[/] ended")
        else:
            user = get_user(session, name)
            console.print(f"{live_sessions(session).get(user.id, 0)} live login(s) of {name}")


@users_app.command("list")
def users_list(database_url: DatabaseOption = None) -> None:
    """List users and their roles."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from telcolens.store.models import User
    from telcolens.store.users import live_sessions

    engine = engine_or_fail(database_url)
    table = Table(show_edge=False)
    for col in ("name", "role", "active", "logins", "created"):
        table.add_column(col)
    with Session(engine) as session:
        live = live_sessions(session)
        for u in session.scalars(select(User).order_by(User.name)):
            table.add_row(
                u.name,
                u.role,
                "yes" if u.active else "no",
                str(live.get(u.id, 0)),
                f"{u.created_at:%Y-%m-%d}",
            )
    console.print(table)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    database_url: DatabaseOption = None,
) -> None:
    """Serve the API and the web console (migrating an empty store first)."""
    run_server(host=host, port=port, workers=workers, database_url=database_url)


def run_server(*, host: str, port: int, workers: int = 1, database_url: str | None) -> None:
    import uvicorn

    from telcolens.settings import get_settings

    engine_or_fail(database_url)  # migrate once here, not in every worker
    if database_url:
        # The app factory reads the URL from the settings, in this process and in workers.
        os.environ["TELCOLENS_DATABASE_URL"] = database_url
        get_settings.cache_clear()
    err_console.print(
        f"Console on http://{host}:{port}/  API docs on http://{host}:{port}/docs  (Ctrl+C stops)"
    )
    uvicorn.run(
        "telcolens.api.app:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Keep idle browser connections as long as common proxies do (nginx: 75 s).
        timeout_keep_alive=75,
    )


def _os_user() -> str:
    try:
        return f"cli:{os.getlogin()}"
    except OSError:
        return "cli"


DEMO_ADMIN = "demo-admin"


def demo_store(url: str, loads) -> str:
    """Migrate the demo's store, load each capability's results, add the demo admin.

    Returns the admin's password: random on each demo, shown once, never stored in clear.
    """
    from sqlalchemy.orm import Session

    from telcolens.store.users import create_user

    password = secrets.token_urlsafe(12)
    engine = engine_or_fail(url)
    with Session(engine) as session, session.begin():
        create_user(session, DEMO_ADMIN, "admin", password, actor="demo")
        for load in loads:
            load(session, "demo")
    engine.dispose()
    return password


def register(app: typer.Typer) -> None:
    app.add_typer(db_app)
    app.add_typer(users_app)
    app.command("serve")(serve)
