"""Anti-fraud: fraud numbers, card brokers and victim warning, each flag with reasons."""

from telcolens.antifraud.cli import register_cli
from telcolens.capabilities import Capability, DemoContext, DemoResult


def run_demo(ctx: DemoContext) -> DemoResult:
    from telcolens.antifraud.demo import run_demo as demo  # LightGBM is slow to import

    return demo(ctx)


CAPABILITY = Capability(
    name="antifraud",
    title="Anti-fraud",
    register_cli=register_cli,
    run_demo=run_demo,
)

__all__ = ["CAPABILITY"]
