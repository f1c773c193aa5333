"""Fault management: learn which alarm types cause which from alarm history."""

from telcolens.capabilities import Capability
from telcolens.faults.causes import CauseLearner, learn_causes
from telcolens.faults.cli import register_cli
from telcolens.faults.demo import run_demo
from telcolens.faults.evaluate import EdgeScores, score_edges

CAPABILITY = Capability(
    name="faults", title="Fault management", register_cli=register_cli, run_demo=run_demo
)

__all__ = ["CAPABILITY", "CauseLearner", "EdgeScores", "learn_causes", "score_edges"]
