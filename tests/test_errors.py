"""One error root: what each error means, how the CLI says it, and no catch-alls around pipelines.

A :class:`~telcolens.errors.TelcolensError` raised in a command prints one line and exits
with its code; anything else (a bug in pandas, pyarrow, LightGBM or telcolens) keeps its
traceback and exits 1. The CLI and API modules must not turn arbitrary errors into user
messages, so they may not catch ``ValueError``, ``Exception``, ``BaseException`` or
everything (bare ``except:``), except where they re-raise or are listed below.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from telcolens import errors
from telcolens.antifraud._tabular import FraudDataError
from telcolens.antifraud.lists import ListError
from telcolens.antifraud.load import LoadConflict, LoadError
from telcolens.antifraud.rules import RuleError
from telcolens.antifraud.workflow import WorkflowError
from telcolens.cli import app
from telcolens.engine import NoData
from telcolens.faults._input import FaultInputError
from telcolens.faults.lifecycle import LifecycleError
from telcolens.ingest import IngestError
from telcolens.settings import SettingsError
from telcolens.store.db import StoreError, make_engine, upgrade
from telcolens.store.users import UserError

SRC = Path(__file__).resolve().parents[1] / "src" / "telcolens"
BROAD = {"ValueError", "Exception", "BaseException"}

# Deliberate broad catches in CLI/API modules, by (module, function, caught), and why.
ALLOWED = {
    # /health: any failure to reach the store (a driver error, a refused socket) means
    # "not healthy" (a 503), never a stack trace; it wraps a `SELECT 1`, no pipeline.
    ("api/app.py", "ping", "Exception"),
    # Parsing one header value: urlsplit's .port raises ValueError for a non-numeric port.
    ("api/security.py", "_origin", "ValueError"),
    # Parsing one header value: email.utils.parsedate_to_datetime raises ValueError for a
    # Date header that is no date (the collector then dates the report itself).
    ("broadband/collector_api.py", "_date_header", "ValueError"),
}


def cli_and_api_modules() -> list[Path]:
    """The platform's CLI and API modules, and a capability's (``antifraud/cli_run.py``,
    ``faults/api.py``, ``antifraud/police_api.py``)."""
    cli = {*SRC.glob("cli*.py"), *SRC.glob("*/cli.py"), *SRC.glob("*/cli_*.py")}
    api = {*(SRC / "api").glob("*.py"), *SRC.glob("*/api.py"), *SRC.glob("*/*_api.py")}
    return sorted(cli | api)


def broad_catches(path: Path) -> list[tuple[str, str, int]]:
    """(function, what is caught, line) of each broad handler that does not re-raise."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if isinstance(child, ast.ExceptHandler):
                caught = _caught(child.type)
                reraises = any(isinstance(s, ast.Raise) and s.exc is None for s in child.body)
                for name in sorted(caught & (BROAD | {"<bare>"})):
                    if not reraises:
                        found.append((function, name, child.lineno))
            visit(child, function)

    visit(tree, "<module>")
    return found


def _caught(node: ast.expr | None) -> set[str]:
    if node is None:
        return {"<bare>"}
    if isinstance(node, ast.Tuple):
        return set().union(*(_caught(e) for e in node.elts))
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):  # builtins.ValueError
        return {node.attr}
    return set()


def test_the_scan_covers_the_cli_and_api_modules():
    names = {p.relative_to(SRC).as_posix() for p in cli_and_api_modules()}
    for expected in (
        "cli.py",
        "cli_service.py",
        "profile/cli.py",
        "antifraud/cli_run.py",
        "faults/cli_causes.py",
        "api/app.py",
    ):
        assert expected in names


def test_the_scan_finds_what_it_forbids(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        textwrap.dedent(
            """
            def a():
                try: run()
                except ValueError as exc: raise Bad(str(exc))
            def b():
                try: run()
                except (OSError, ValueError): pass
            def c():
                try: run()
                except: pass
            def d():
                try: run()
                except Exception: log(); raise
            def e():
                try: run()
                except KeyError: pass
            """
        )
    )
    assert [(f, what) for f, what, _ in broad_catches(path)] == [
        ("a", "ValueError"),
        ("b", "ValueError"),
        ("c", "<bare>"),
    ]


def test_no_catch_all_around_pipelines_in_the_cli_or_api():
    found = [
        f"{path.relative_to(SRC)}:{line} in {function}(): except {what}"
        for path in cli_and_api_modules()
        for function, what, line in broad_catches(path)
        if (path.relative_to(SRC).as_posix(), function, what) not in ALLOWED
    ]
    assert not found, (
        "catch the error you raise (a telcolens.errors subclass), not a built-in that "
        "library bugs raise too:\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        (IngestError, errors.BadInput),
        (FraudDataError, errors.BadInput),
        (RuleError, errors.BadInput),
        (ListError, errors.BadInput),
        (LoadError, errors.BadInput),
        (LoadConflict, errors.Conflict),
        (FaultInputError, errors.BadInput),
        (SettingsError, errors.BadInput),
        (UserError, errors.BadInput),
        (NoData, errors.NotFound),
        (StoreError, errors.Unavailable),
        (WorkflowError, errors.Conflict),
        (LifecycleError, errors.Conflict),
    ],
)
def test_each_module_error_has_its_meaning(error, meaning):
    assert issubclass(error, meaning)
    assert error.http_status == meaning.http_status


def test_statuses_and_exit_codes():
    e = errors
    assert [c.http_status for c in (e.BadInput, e.NotFound, e.Conflict, e.Unavailable)] == [
        422,
        404,
        409,
        503,
    ]
    assert e.TooManyAttempts("x", 1).http_status == 429
    assert [c.exit_code for c in (e.BadInput, e.NotFound, e.Conflict)] == [2, 2, 2]
    assert e.Unavailable.exit_code == 3
    assert StoreError.exit_code == 2  # kept: `telcolens db ...` has always exited 2 on it
    # Bad input stays a ValueError and a missing data directory a FileNotFoundError, for
    # callers written against the built-ins.
    assert issubclass(e.BadInput, ValueError) and issubclass(NoData, FileNotFoundError)


# The CLI --------------------------------------------------------------------------------

runner = CliRunner()


def _raise(exc: BaseException):
    def boom(*_args, **_kwargs):
        raise exc

    return boom


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.BadInput("subscribers must be at least [1000]"), 2),
        (errors.NotFound("no such thing"), 2),
        (errors.Conflict("already holds a province"), 2),
        (errors.Unavailable("the store is busy"), 3),
        (StoreError("cannot use the store"), 2),
    ],
)
def test_a_telcolens_error_in_a_command_is_one_line_and_its_exit_code(
    monkeypatch, tmp_path, exc, code
):
    monkeypatch.setattr("telcolens.simulate.generate_province", _raise(exc))
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "p")])
    assert result.exit_code == code
    assert result.output == f"error: {exc}\n"  # as given: "[1000]" is text, not markup
    assert isinstance(result.exception, SystemExit)


def test_a_telcolens_error_in_a_subcommand_is_mapped_too(monkeypatch, tmp_path):
    monkeypatch.setattr("telcolens.antifraud.daily.run_day", _raise(NoData("no voice table")))
    result = runner.invoke(app, ["antifraud", "run", "--data", str(tmp_path), "--out", "o"])
    assert (result.exit_code, result.output.splitlines()[-1]) == (2, "error: no voice table")


def _csv(tmp_path: Path) -> str:
    path = tmp_path / "f.csv"
    path.write_text("id,y\n1,0\n")
    return str(path)


# Pipeline seams that sat inside `except ValueError` before, and a command that reaches each.
SEAMS = {
    "generate": ("telcolens.simulate.generate_province", lambda t: ["generate", "--out", t]),
    "ingest": (
        "telcolens.ingest.ingest_files",
        lambda t: ["ingest", "--data", t, "--table", "cells", f"{t}/cells.csv"],
    ),
    "profile": (
        "telcolens.profile.cli.compute_profile",
        lambda t: ["profile", "--data", t, "--out", f"{t}/p.parquet"],
    ),
    "antifraud run": (
        "telcolens.antifraud.daily.run_day",
        lambda t: ["antifraud", "run", "--data", t, "--out", f"{t}/o"],
    ),
    "antifraud evaluate": (
        "telcolens.antifraud.evaluate.manifest",
        lambda t: ["antifraud", "evaluate", "--data", t, "--out", f"{t}/o"],
    ),
    "antifraud train": (
        "telcolens.antifraud.cli_model.training_table",
        lambda t: [
            "antifraud",
            "train",
            "--features",
            f"{t}/f.csv",
            "--id-column",
            "id",
            "--label-column",
            "y",
            "--model",
            f"{t}/m",
        ],
    ),
    "faults incidents": (
        "telcolens.faults.cli_incidents.correlate_dir",
        lambda t: ["faults", "incidents", "--data", t, "--out", f"{t}/o"],
    ),
}


@pytest.mark.parametrize("command", sorted(SEAMS))
def test_a_library_bug_in_a_pipeline_is_a_traceback_not_a_user_error(
    monkeypatch, tmp_path, command
):
    target, args = SEAMS[command]
    _csv(tmp_path)
    bug = ValueError("Length of values (3) does not match length of index (4)")  # pandas'
    monkeypatch.setattr(target, _raise(bug))
    result = runner.invoke(app, args(str(tmp_path)))
    assert result.exit_code == 1, result.output
    assert result.exception is bug and result.exc_info[2] is not None
    assert "error:" not in result.output


def test_a_library_bug_prints_its_traceback_and_exits_1(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        import telcolens.simulate

        def boom(*args, **kwargs):
            raise ValueError("a bug deep in pandas")

        telcolens.simulate.generate_province = boom
        from telcolens.cli import app

        sys.argv = ["telcolens", "generate", "--out", sys.argv[1]]
        app()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "p")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "TERM": "dumb", "NO_COLOR": "1"},
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" in done.stderr and "ValueError: a bug deep in pandas" in done.stderr
    assert "error:" not in done.stderr


def test_invalid_option_values_stay_usage_errors(tmp_path):
    as_of = runner.invoke(
        app, ["antifraud", "features", "--data", str(tmp_path), "--out", "f", "--as-of", "May 1"]
    )
    assert as_of.exit_code == 2 and "--as-of" in as_of.output
    listen = runner.invoke(app, ["faults", "receive", "--data", str(tmp_path), "--snmp", "x"])
    assert listen.exit_code == 2 and "HOST:PORT" in listen.output


# The store's errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("foo://x/y", "not a database URL"),
        ("postgresql://u@h:port/db", "not a database URL"),
        ("postgresql+psycopg2://u@127.0.0.1/db", "no driver for postgresql+psycopg2"),
        ("sqlite:////nonexistent-folder/s.db", "cannot use the store"),
    ],
)
def test_a_store_url_that_cannot_work_is_a_clear_error(url, said):
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 2, result.output
    assert said in result.output and isinstance(result.exception, SystemExit)


def test_a_store_from_a_newer_telcolens_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match="9999_future, which this version"):
        upgrade(engine)
    engine.dispose()
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 2 and "does not know" in result.output
