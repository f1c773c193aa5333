"""Broadband experience: perception per home line, poor lines, diagnosis, repair, proof."""

from telcolens.broadband.cli import register_cli
from telcolens.broadband.day import run_day_step, run_demo
from telcolens.capabilities import Capability, Role

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
    routers=("telcolens.broadband.collector:router",),
    app_hook="telcolens.broadband.hooks:install",
)

__all__ = ["CAPABILITY"]
