"""One progress convention: library code reports through a callback, the CLI draws it."""

from __future__ import annotations

import ast
from pathlib import Path

from rich.progress import Progress as RichProgress

from telcolens import engine as engines
from telcolens.antifraud.daily import DONE, STEPS, run_day
from telcolens.console import Bars
from telcolens.progress import Counter, silent
from tests.profile._tiny import make_tiny_province

SRC = Path(__file__).resolve().parents[1] / "src" / "telcolens"
# The CLI layer: the only modules that may draw (Rich) or print.
CLI = ("cli.py", "cli_*.py", "*/cli.py", "*/cli_*.py", "console.py")
# Library modules still drawing through telcolens.console; each is to move its bars
# out. An entry whose module no longer needs it fails the test: remove it then.
USES_CONSOLE = {"simulate/province.py"}


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports, absolute names (``from x.y import z`` gives x.y)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def _library_modules() -> list[Path]:
    cli = {p for pattern in CLI for p in SRC.glob(pattern)}
    return [p for p in sorted(SRC.rglob("*.py")) if p not in cli]


def test_only_the_cli_layer_imports_rich() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in _library_modules()
        if any(m == "rich" or m.startswith("rich.") for m in _imports(p))
    ]
    assert offenders == []


def test_library_modules_draw_through_the_console_only_where_known() -> None:
    users = {
        str(p.relative_to(SRC)) for p in _library_modules() if "telcolens.console" in _imports(p)
    }
    assert users == USES_CONSOLE


def test_the_cli_patterns_match_the_cli_modules() -> None:
    # A pattern gone stale would exempt nothing and the test above would pass vacuously.
    names = {str(p.relative_to(SRC)) for pattern in CLI for p in SRC.glob(pattern)}
    assert {"cli.py", "console.py", "profile/cli.py", "antifraud/cli_watch.py"} <= names
    assert "antifraud/watch.py" not in names


def test_a_run_reports_each_step_then_done(tmp_path: Path) -> None:
    reports: list[tuple] = []
    con = engines.connect("duckdb")
    run_day(
        make_tiny_province(tmp_path / "p"),
        tmp_path / "out",
        con=con,
        progress=lambda *r: reports.append(r),
    )
    n = len(STEPS)
    assert reports == [*((s, i, n) for i, s in enumerate(STEPS)), (DONE, n, n)]


def test_counter_reports_running_totals() -> None:
    reports: list[tuple] = []
    c = Counter(lambda *r: reports.append(r), "f.csv")
    c.start(10)
    c.advance(4)
    c.advance(6)
    assert reports == [("f.csv", 0, 10), ("f.csv", 4, 10), ("f.csv", 10, 10)]
    Counter(None, "nobody listens").advance(1)  # silent: no error
    assert silent("x", 0, None) is None


def _tasks(reports: list[tuple]) -> list[tuple]:
    rich = RichProgress(disable=True)
    bars = Bars(rich)
    for r in reports:
        bars(*r)
    return [(t.description, t.completed, t.total) for t in rich.tasks]


def test_bars_draw_one_bar_per_task_and_rename_it_by_step() -> None:
    steps = [("features", 0, 3), ("model", 1, 3), ("lists", 2, 3), ("done", 3, 3)]
    assert _tasks(steps) == [("done", 3, 3)]
    files = [("a.csv", 0, None), ("a.csv", 0, 8), ("a.csv", 8, 8), ("b.csv", 0, 0)]
    # a's total arrives once known; b is a new task; a zero total is one unit.
    assert _tasks(files) == [("a.csv", 8, 8), ("b.csv", 0, 1)]
