"""Terminal output shared by the CLI: one Rich console, progress bars and spinners."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from typer.core import TyperGroup

from telcolens.errors import TelcolensError

# Results go to standard output; progress and spinners to standard error, so that
# `telcolens ... > file` keeps only the results.
# soft_wrap: long paths stay whole on one line, so they can be copied.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def progress_bar(*, disable: bool = False) -> Progress:
    """A progress bar for work counted in steps (days, files, chunks)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=disable,
        transient=False,
    )


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner while one long step runs."""
    with err_console.status(message):
        yield


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error on stderr; the caller raises the returned exit (code 2)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=2)


class Group(TyperGroup):
    """The CLI's command group: a :class:`~telcolens.errors.TelcolensError` from any
    command is printed as one line on stderr and exits with its code; anything else is a
    bug and keeps its traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TelcolensError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(code=exc.exit_code) from None
