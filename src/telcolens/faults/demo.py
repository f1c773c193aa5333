"""The fault step of ``telcolens demo``: the province's alarms into incidents, scored."""

from __future__ import annotations

from telcolens.capabilities import DemoContext, DemoResult
from telcolens.faults.evaluate_incidents import read_fault_truth, score_incidents
from telcolens.faults.incidents import INCIDENTS_FILE, correlate_dir
from telcolens.faults.lifecycle import load_incidents, neighbourhoods


def run_demo(ctx: DemoContext) -> DemoResult:
    out = ctx.out_dir / "faults"
    result, alarms, links = correlate_dir(ctx.data_dir, out)
    around = neighbourhoods(result.incidents, result.alarm_incidents, alarms, links)
    faults, fault_alarms = read_fault_truth(ctx.data_dir)
    scores = score_incidents(result.incidents, result.alarm_incidents, faults, fault_alarms)
    return DemoResult(
        summary=[
            ("alarms -> incidents", f"{len(alarms):,} -> {len(result.incidents):,}"),
            ("planted faults", f"{scores.faults}"),
            ("  floods reduced to one incident", f"{scores.one_incident:.0%}"),
            ("  root-cause device right", f"{scores.root_right:.0%}"),
            ("  alarm compression of the floods", f"{scores.compression_flood:.1%}"),
        ],
        outputs=[out / INCIDENTS_FILE],
        load=lambda session, actor: load_incidents(
            session, result.incidents, result.alarm_incidents, actor, topology=around
        ),
    )
