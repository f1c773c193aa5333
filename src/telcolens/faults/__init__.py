"""Fault management: learn which alarm types cause which from alarm history."""

from telcolens.capabilities import Capability, Page, Role
from telcolens.faults.causes import CauseLearner, learn_causes
from telcolens.faults.cli import register_cli
from telcolens.faults.day import run_day_step
from telcolens.faults.demo import run_demo
from telcolens.faults.evaluate import EdgeScores, score_edges

ENGINEERS = ("network_engineer",)

CAPABILITY = Capability(
    name="faults",
    title="Fault management",
    register_cli=register_cli,
    run_demo=run_demo,
    run_day=run_day_step,
    section={"en": "Network", "zh": "网络"},
    roles=(
        Role(
            "network_engineer",
            "Works the fault incidents: acknowledges, diagnoses and resolves them; a VES "
            "collector logs in as one to post alarms.",
        ),
    ),
    routers=("telcolens.faults.api:router",),
    app_hook="telcolens.faults.api:install",
    models="telcolens.faults.models",
    pages=(
        Page("faults", "faults.js", {"en": "Fault diagnosis", "zh": "故障诊断"}, ENGINEERS),
        Page(
            "faults/incidents/{id}",
            "incident.js",
            {"en": "Incident", "zh": "故障事件"},
            ENGINEERS,
            parent="faults",
        ),
    ),
)

__all__ = ["CAPABILITY", "CauseLearner", "EdgeScores", "learn_causes", "score_edges"]
