"""Visited places (行程卡): the cities a subscriber stayed in over the last 14 days.

Stays come from the network's location records and the cells of calls, SMS and data
sessions; a daily build puts each subscriber's cities into a lookup index; subscribers
ask by SMS keyword or through the API with a one-time code; records past the retention
window are deleted. See docs/itinerary.md.
"""

from telcolens.capabilities import Capability, Page, Role
from telcolens.itinerary.cli import register_cli
from telcolens.itinerary.day import run_day_step, run_demo

AGENTS = ("itinerary_agent",)

CAPABILITY = Capability(
    name="itinerary",
    title="Visited places",
    register_cli=register_cli,
    run_demo=run_demo,
    run_day=run_day_step,
    section={"en": "Visited places", "zh": "行程查询"},
    roles=(
        Role(
            "itinerary_agent",
            "Service agent answering visited-places queries: looks a number up with the "
            "subscriber's one-time code, or by an audited override; sees stays per city.",
        ),
    ),
    routers=("telcolens.itinerary.api:router",),
    models="telcolens.itinerary.models",
    pages=(Page("itinerary", "itinerary.js", {"en": "Visited places", "zh": "行程查询"}, AGENTS),),
)

__all__ = ["CAPABILITY"]
