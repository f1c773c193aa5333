"""Broadband experience: perception per home line, poor lines, diagnosis, repair, proof."""

from telcolens.broadband.cli import register_cli
from telcolens.broadband.day import run_day_step, run_demo
from telcolens.capabilities import Capability, Page, Role

ENGINEERS = ("broadband_engineer",)

CAPABILITY = Capability(
    name="broadband",
    title="Broadband experience",
    register_cli=register_cli,
    run_demo=run_demo,
    run_day=run_day_step,
    section={"en": "Broadband", "zh": "宽带"},
    roles=(
        Role(
            "broadband_engineer",
            "Finds and repairs poor-quality home broadband lines: perception scores, "
            "diagnoses, work orders and shared-cause tickets; reads the Bulk Data collector.",
        ),
    ),
    routers=(
        "telcolens.broadband.collector_api:router",
        "telcolens.broadband.api:router",
        "telcolens.broadband.read_api:router",
    ),
    app_hook="telcolens.broadband.hooks:install",
    models="telcolens.broadband.models",
    pages=(
        Page("broadband", "broadband.js", {"en": "Broadband lines", "zh": "宽带质差"}, ENGINEERS),
        Page(
            "broadband/lines/{id}",
            "line.js",
            {"en": "Broadband line", "zh": "宽带线路"},
            ENGINEERS,
            parent="broadband",
        ),
    ),
)

__all__ = ["CAPABILITY"]
