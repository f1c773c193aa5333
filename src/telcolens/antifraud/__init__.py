"""Anti-fraud: fraud numbers, card brokers and victim warning, each flag with reasons."""

from telcolens.antifraud.cli import register_cli
from telcolens.capabilities import Capability, DayContext, DemoContext, DemoResult, Page, Role


def run_demo(ctx: DemoContext) -> DemoResult:
    from telcolens.antifraud.demo import run_demo as demo  # LightGBM is slow to import

    return demo(ctx)


def run_day(ctx: DayContext) -> DemoResult:
    from telcolens.antifraud.day import run_day_step  # LightGBM is slow to import

    return run_day_step(ctx)


ANALYSTS = ("fraud_analyst",)

CAPABILITY = Capability(
    name="antifraud",
    title="Anti-fraud",
    register_cli=register_cli,
    run_demo=run_demo,
    run_day=run_day,
    section={"en": "Anti-fraud", "zh": "反诈骗"},
    roles=(
        Role(
            "fraud_analyst", "Reviews flagged numbers, decides cases and hands them to the police."
        ),
        Role(
            "police_liaison",
            "Sees the cases handed to the police anti-fraud centre and exports them.",
        ),
        Role("service_agent", "Calls or texts the subscribers on the victim warning list."),
    ),
    routers=(
        "telcolens.antifraud.api:router",
        "telcolens.antifraud.warnings_api:router",
        "telcolens.antifraud.police_api:router",
    ),
    models="telcolens.antifraud.models",
    pages=(
        Page("antifraud", "overview.js", {"en": "Overview", "zh": "总览"}, ANALYSTS),
        Page("antifraud/cases", "cases.js", {"en": "Case queue", "zh": "案件队列"}, ANALYSTS),
        Page(
            "antifraud/warnings",
            "warnings.js",
            {"en": "Victim warnings", "zh": "预警劝阻"},
            (*ANALYSTS, "service_agent"),
        ),
        Page(
            "antifraud/brokers",
            "brokers.js",
            {"en": "Card brokers", "zh": "断卡（卡贩子）"},
            ANALYSTS,
        ),
        Page("police", "police.js", {"en": "Police export", "zh": "公安移交"}, ("police_liaison",)),
        Page(
            "antifraud/cases/{id}",
            "case.js",
            {"en": "Case", "zh": "案件"},
            ANALYSTS,
            parent="antifraud/cases",
        ),
    ),
)

__all__ = ["CAPABILITY"]
