"""``telcolens broadband gateways``: credentials registered, listed, refused twice, removed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from telcolens.broadband.gateways import gateways_path
from telcolens.cli import app

PASSWORD = "a-gateway-password"


def _run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["broadband", "gateways", *args], input=stdin)


def test_a_gateway_is_added_listed_and_removed(tmp_path: Path) -> None:
    added = _run(
        "add", "--data", str(tmp_path), "--username", "ZTEG0001", "--line-id", "531",
        "--serial-number", "ZTEG0001", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    stored = json.loads(gateways_path(tmp_path).read_text())
    assert PASSWORD not in gateways_path(tmp_path).read_text()  # a hash only
    assert [g["line_id"] for g in stored["gateways"]] == [531]
    listed = _run("list", "--data", str(tmp_path))
    assert "ZTEG0001" in listed.output and "531" in listed.output
    assert PASSWORD not in listed.output and "argon2" not in listed.output
    removed = _run("remove", "--data", str(tmp_path), "ZTEG0001")
    assert removed.exit_code == 0 and "line 531" in removed.output
    assert "No gateway registered" in _run("list", "--data", str(tmp_path)).output


def test_a_second_credential_for_a_line_needs_replace(tmp_path: Path) -> None:
    first = ["add", "--data", str(tmp_path), "--line-id", "7", "--password-stdin"]
    assert _run(*first, "--username", "a", stdin=PASSWORD).exit_code == 0
    again = _run(*first, "--username", "b", stdin=PASSWORD)
    assert again.exit_code == 2 and "already registered" in again.output
    assert _run(*first, "--username", "b", "--replace", stdin=PASSWORD).exit_code == 0
    assert "b " in _run("list", "--data", str(tmp_path)).output


def test_bad_input_is_one_line_and_a_nonzero_exit(tmp_path: Path) -> None:
    short = _run("add", "--data", str(tmp_path), "--username", "x", "--line-id", "1",
                 "--password-stdin", stdin="short")  # fmt: skip
    assert short.exit_code == 2 and "at least" in short.output
    missing = _run("remove", "--data", str(tmp_path), "nobody")
    assert missing.exit_code == 2 and "no gateway 'nobody'" in missing.output
