"""Terminal output shared by the CLI: one Rich console, progress bars and spinners."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
import typer
from rich.console import Console
from rich.markup import escape
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
