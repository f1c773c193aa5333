"""Terminal output shared by the CLI: one Rich console, progress bars and spinners.

Library code reports progress through :data:`telcolens.progress.Progress` and logs its
events; :func:`reporting` and :func:`log_lines` are where the CLI draws both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from typer.core import TyperGroup

from telcolens.errors import TelcolensError

# Results go to standard output; progress and spinners to standard error, so that
# `telcolens ... > file` keeps only the results.
# soft_wrap: long paths stay whole on one line, so they can be copied.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def progress_bar(*, disable: bool = False, share: bool = False) -> Progress:
    """A progress bar for work counted in steps (days, files, chunks).

    ``share``: for work counted in bytes or rows, show the share done and the time left
    instead of the count of steps and the time taken.
    """
    columns = (
        (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
        if share
        else (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    )
    counts = (TimeRemainingColumn(),) if share else (MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, *counts, console=err_console, disable=disable, transient=False)


class Bars:
    """Draws :data:`~telcolens.progress.Progress` reports as Rich bars, one per task."""

    def __init__(self, bars: Progress) -> None:
        self._bars = bars
        self._task: TaskID | None = None
        self._label, self._done = "", 0

    def __call__(self, label: str, done: int, total: int | None) -> None:
        # A zero total would never show as done: a task of nothing is one unit.
        total = None if total is None else max(total, 1)
        same = label == self._label and self._done == 0
        if self._task is None or (done == 0 and not same):
            self._task = self._bars.add_task(label, total=total, completed=done)
        else:
            self._bars.update(self._task, description=label, completed=done, total=total)
        self._label, self._done = label, done


@contextmanager
def reporting(*, disable: bool = False, share: bool = False) -> Iterator[Bars]:
    """A :data:`~telcolens.progress.Progress` drawn as bars on stderr while the block runs."""
    with progress_bar(disable=disable, share=share) as bars:
        yield Bars(bars)


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner while one long step runs."""
    with err_console.status(message):
        yield


class LogLines(logging.Handler):
    """Log records as timestamped lines on stderr: warnings yellow, errors red."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
            text = escape(self.format(record))
            if record.levelno >= logging.WARNING:
                text = f"[{'red' if record.levelno >= logging.ERROR else 'yellow'}]{text}[/]"
            err_console.print(f"[dim]{stamp}[/] {text}", highlight=False)
        except Exception:  # logging's contract: a failing handler reports, never raises
            self.handleError(record)


@contextmanager
def log_lines(name: str) -> Iterator[None]:
    """Show the INFO and higher records of logger ``name`` as :class:`LogLines`.

    For a command whose library code tells its story in log records (the watcher's
    files and flags). The records are kept from the root logger's handler, so each shows
    once, and shown as logged: not through the log filter that masks every run of 7+
    digits, which would hide the pseudonyms of the numbers flagged (the watcher masks
    what could be a raw number itself: file names, errors, tracebacks).
    """
    logger = logging.getLogger(name)
    handler = LogLines()
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class Group(TyperGroup):
    """The CLI's command group: a :class:`~telcolens.errors.TelcolensError` from any
    command is printed as one line on stderr and exits with its code; anything else is a
    bug and keeps its traceback (exit 1).

    The one place the CLI turns errors into messages: commands raise the error that
    means what went wrong (:mod:`telcolens.errors`) and catch nothing to print it.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TelcolensError as exc:
            # The message is text, not markup: "[calls]" in it stays as it is.
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(code=exc.exit_code) from None
