"""``telcolens db``, ``users`` and ``antifraud load`` from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from telcolens.cli import app

runner = CliRunner()


def _text(result) -> str:
    return " ".join(result.output.replace("│", " ").split())


def test_db_upgrade_then_current(store_url: str) -> None:
    assert runner.invoke(app, ["db", "current", "--database-url", store_url]).exit_code == 1
    up = runner.invoke(app, ["db", "upgrade", "--database-url", store_url])
    assert up.exit_code == 0, up.output
    assert "(latest)" in _text(up)
    assert runner.invoke(app, ["db", "current", "--database-url", store_url]).exit_code == 0


def test_users_add_and_list(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    monkeypatch.setenv("NEW_PASSWORD", "a-long-enough-password")
    add = ["users", "add", "ana", "--role", "fraud_analyst", "--database-url", url]
    ok = runner.invoke(app, [*add, "--password-env", "NEW_PASSWORD"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, [*add, "--password-env", "NEW_PASSWORD"])
    assert again.exit_code == 2 and "already exists" in _text(again)
    bad = runner.invoke(
        app,
        [
            "users",
            "add",
            "bo",
            "--role",
            "boss",
            "--database-url",
            url,
            "--password-env",
            "NEW_PASSWORD",
        ],
    )
    assert bad.exit_code == 2 and "not one of" in _text(bad)
    prompted = runner.invoke(
        app,
        ["users", "add", "cy", "--role", "admin", "--database-url", url],
        input="another-long-password\nanother-long-password\n",
    )
    assert prompted.exit_code == 0, prompted.output
    listed = _text(runner.invoke(app, ["users", "list", "--database-url", url]))
    assert "ana fraud_analyst" in listed and "cy admin" in listed


def test_antifraud_load_twice(tmp_path: Path, day_run: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    first = runner.invoke(app, ["antifraud", "load", str(day_run), "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "cases opened" in _text(first)
    second = runner.invoke(app, ["antifraud", "load", str(day_run), "--database-url", url])
    assert second.exit_code == 0
    assert "already loaded (same digest): nothing changed" in _text(second)
    empty = runner.invoke(app, ["antifraud", "load", str(tmp_path), "--database-url", url])
    assert empty.exit_code == 2 and "not an anti-fraud run folder" in _text(empty)


def test_an_unreachable_store_is_a_clear_error() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 2 and "cannot use the store" in _text(result)


def test_users_disable_enable_set_password_and_end_sessions(store_url: str, monkeypatch) -> None:
    """The account lifecycle from the command line; a disabled user's login dies at once."""
    from sqlalchemy.orm import sessionmaker

    from telcolens.store.db import make_engine
    from telcolens.store.users import authenticate, session_user, start_session

    monkeypatch.setenv("PW", "a-long-enough-password")
    monkeypatch.setenv("PW2", "another-long-password")
    db = ["--database-url", store_url]
    add = ["users", "add", "ana", "--role", "fraud_analyst", "--password-env", "PW", *db]
    assert runner.invoke(app, add).exit_code == 0
    engine = make_engine(store_url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as s, s.begin():
        user = authenticate(s, "ana", "a-long-enough-password")
        tok = start_session(s, user, 1)
    shown = runner.invoke(app, ["users", "sessions", "ana", *db])
    assert shown.exit_code == 0 and "1 live login" in _text(shown)

    off = runner.invoke(app, ["users", "disable", "ana", *db])
    assert off.exit_code == 0, off.output
    with sessions() as s:
        assert session_user(s, tok) is None
        assert authenticate(s, "ana", "a-long-enough-password") is None
    twice = runner.invoke(app, ["users", "disable", "ana", *db])
    assert twice.exit_code == 2 and "already disabled" in _text(twice)
    listed = _text(runner.invoke(app, ["users", "list", *db]))
    assert "ana fraud_analyst no 0" in listed

    assert runner.invoke(app, ["users", "enable", "ana", *db]).exit_code == 0
    pw = runner.invoke(app, ["users", "set-password", "ana", "--password-env", "PW2", *db])
    assert pw.exit_code == 0, pw.output
    with sessions() as s, s.begin():
        assert authenticate(s, "ana", "a-long-enough-password") is None
        user = authenticate(s, "ana", "another-long-password")
        tok = start_session(s, user, 1)
    ended = runner.invoke(app, ["users", "sessions", "ana", "--end", *db])
    assert ended.exit_code == 0 and "1 login(s)" in _text(ended)
    with sessions() as s:
        assert session_user(s, tok) is None
    missing = runner.invoke(app, ["users", "disable", "nobody", *db])
    assert missing.exit_code == 2 and "no user 'nobody'" in _text(missing)
    engine.dispose()
