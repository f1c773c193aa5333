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
