"""The broadband capability's app hook: the Bulk Data collector, where one is configured."""

from __future__ import annotations

from typing import Any

from telcolens.broadband import collector_api
from telcolens.settings import get_settings


def install(app: Any) -> None:
    """Collect Bulk Data into ``TELCOLENS_BROADBAND_DATA_DIR`` (unset: the endpoint is 503)."""
    collector_api.install(app, get_settings().broadband_data_dir)
