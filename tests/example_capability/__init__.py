"""A small capability registered only by the tests: the proof that a capability is one folder.

It adds a CLI command, a role, an API router, a console page, a demo step and a day step
(for ``telcolens daily``), and touches
no other file: ``capabilities.register("tests.example_capability")`` is its one line.
"""

from __future__ import annotations

import typer

from telcolens import engine as engines
from telcolens.capabilities import Capability, DayContext, DemoContext, DemoResult, Page, Role


def register_cli(app: typer.Typer) -> None:
    group = typer.Typer(name="example", help="The example capability.", no_args_is_help=True)

    @group.command("hello")
    def hello(name: str = typer.Option("world", help="Who to greet.")) -> None:
        """Say hello."""
        typer.echo(f"hello, {name}")

    app.add_typer(group)


def run_demo(ctx: DemoContext) -> DemoResult:
    cells = ctx.tables["cells"].count().execute()
    return DemoResult(summary=[("example: cells", f"{cells:,}")])


def run_day(ctx: DayContext) -> DemoResult:
    """Calls in the week before the as-of day."""
    t = engines.in_window(engines.tables(ctx.con, ctx.data_dir), ctx.as_of, 7)
    calls = ctx.con.execute(t["voice"].count())
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    (ctx.out_dir / "calls.txt").write_text(f"{calls}\n")
    return DemoResult(summary=[("example: calls in the week", f"{calls:,}")])


CAPABILITY = Capability(
    name="example",
    title="Example",
    register_cli=register_cli,
    run_demo=run_demo,
    run_day=run_day,
    section={"en": "Example", "zh": "示例"},
    roles=(Role("example_user", "Uses the example capability."),),
    routers=("tests.example_capability.api:router",),
    pages=(Page("example", "hello.js", {"en": "Hello", "zh": "你好"}, ("example_user",)),),
    docs="tests/example_capability/README.md",
)
