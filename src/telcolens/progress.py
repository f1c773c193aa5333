"""How library code reports progress: one callback type, drawn only by the CLI.

A :data:`Progress` is called as ``progress(label, done, total)``: the task in hand,
named ``label``, has ``done`` of ``total`` units done (``total`` is None while unknown).
A call with ``done == 0`` begins a new task, except that repeating the label of a task
with nothing done yet (to give its total once known) updates it. A later call with
another label renames the task in hand, which is how a run reports its steps::

    progress("features", 0, 5)         # a new task: step 1 of 5
    progress("model and rules", 1, 5)  # the same task, one step done
    ...
    progress("voice.csv", 0, 52_000)   # a new task: 52,000 bytes to read
    progress("voice.csv", 8_192, 52_000)

Library functions take ``progress: Progress | None = None`` and report through
:func:`reporter`; ``telcolens.console.reporting`` draws the reports as Rich bars.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int | None], None]


def silent(label: str, done: int, total: int | None) -> None:
    """The no-op :data:`Progress`: what library code reports to when nobody watches."""


def reporter(progress: Progress | None) -> Progress:
    """``progress``, or :func:`silent` when there is none to report to."""
    return progress or silent


class Counter:
    """Reports a task whose units arrive as increments (bytes read, rows written).

    ``start(total)`` begins the task (again, once the total is known), ``advance(n)``
    adds ``n`` units done.
    """

    def __init__(self, progress: Progress | None, label: str) -> None:
        self._progress, self.label = reporter(progress), label
        self.done = 0
        self.total: int | None = None

    def start(self, total: int | None = None) -> None:
        self.total = total
        self._progress(self.label, self.done, total)

    def advance(self, n: int) -> None:
        self.done += n
        self._progress(self.label, self.done, self.total)
