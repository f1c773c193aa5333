"""Usage profile: per-subscriber calling, messaging, data and mobility measures."""

from telcolens.capabilities import Capability
from telcolens.profile.cli import register_cli
from telcolens.profile.demo import run_day_step, run_demo
from telcolens.profile.pipeline import PROFILE_COLUMNS, compute_profile, sightings, usage_profile

CAPABILITY = Capability(
    name="profile",
    title="Usage profile",
    register_cli=register_cli,
    run_demo=run_demo,
    run_day=run_day_step,
)

__all__ = ["CAPABILITY", "PROFILE_COLUMNS", "compute_profile", "sightings", "usage_profile"]
