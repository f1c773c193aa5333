"""Anti-fraud: fraud numbers, card brokers and victim warning, each flag with reasons."""

from telcolens.antifraud.cli import register_cli
from telcolens.capabilities import Capability

CAPABILITY = Capability(
    name="antifraud",
    title="Anti-fraud",
    register_cli=register_cli,
)

__all__ = ["CAPABILITY"]
