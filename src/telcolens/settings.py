"""One typed settings object, read from ``TELCOLENS_*`` environment variables."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from telcolens.errors import BadInput

# Public on purpose: it lets the demo and tests run with no set-up. Outside
# development a deployment must set its own key, or pseudonyms could be reversed
# by anyone who hashes candidate numbers with this one.
DEVELOPMENT_PSEUDONYM_KEY = "telcolens-development-key-not-secret"


class Settings(BaseSettings):
    """Process-wide settings. Every field can be set as ``TELCOLENS_<NAME>``."""

    # hide_input_in_errors: a traceback must never show the key or a database password.
    model_config = SettingsConfigDict(
        env_prefix="TELCOLENS_", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = Field(
        "development", description="'production' refuses development defaults for secrets."
    )
    pseudonym_key: str = Field(
        DEVELOPMENT_PSEUDONYM_KEY,
        description="Secret key of the keyed hash that pseudonymises numbers and ID cards.",
    )
    engine: Literal["duckdb", "spark"] = Field("duckdb", description="Default query engine.")
    spark_master: str = Field(
        "local[*]", description="Spark master URL, e.g. spark://host:7077 for a cluster."
    )
    spark_driver_memory: str = Field("4g", description="spark.driver.memory for local mode.")
    duckdb_memory_limit: str | None = Field(
        None, description="DuckDB memory_limit, e.g. '8GB'; DuckDB's own default when unset."
    )
    duckdb_threads: int | None = Field(None, description="DuckDB threads; all cores when unset.")
    database_url: str = Field(
        "sqlite:///telcolens.db",
        description="Operational store: a SQLite file by default, "
        "postgresql+psycopg://user:password@host/db in production.",
    )
    api_threads: int = Field(
        2,
        ge=1,
        description="Worker threads per API process for requests that use the store "
        "(few is faster: threads contend for the GIL; see docs/benchmarks.md).",
    )
    db_lock_timeout_s: float = Field(
        5.0,
        gt=0,
        description="How long a statement waits for a row or table lock before the request "
        "fails with 503 (PostgreSQL lock_timeout, SQLite's busy timeout).",
    )
    db_statement_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Longest a store statement may run (PostgreSQL statement_timeout); a "
        "transaction left idle this long is ended too.",
    )
    allowed_origins: str = Field(
        "",
        description="Comma-separated origins (https://console.example:443) whose pages may "
        "send cookie-authenticated changes; default: the origin the request was sent to.",
    )
    login_throttle: bool = Field(
        True, description="Back off repeated failed logins per user name and client address."
    )
    alarm_data_dir: str | None = Field(
        None,
        description="Data directory whose alarms table the API's VES endpoint appends to "
        "(POST /api/faults/ves answers 503 while unset).",
    )
    broadband_data_dir: str | None = Field(
        None,
        description="Data directory whose broadband_kpi table the API's Bulk Data collector "
        "appends to, and whose _gateways.json holds the gateways' credentials "
        "(POST /api/broadband/bulkdata answers 503 while unset).",
    )
    itinerary_index: str | None = Field(
        None,
        description="Index directory (from `telcolens itinerary build`) the visited-places "
        "API answers from (its query routes answer 503 while unset).",
    )
    nats_url: str = Field(
        "nats://127.0.0.1:4222",
        description="NATS server(s) with JetStream that CDRs, location events and alarms are "
        "streamed through (comma-separated URLs for a cluster; see docs/streams.md).",
    )
    stream_name: str = Field("TELCOLENS", description="JetStream stream of the records.")
    stream_subject_prefix: str = Field(
        "telcolens", description="Records of table T are published on <prefix>.T."
    )
    stream_consumer: str = Field(
        "telcolens-intake",
        description="Durable consumer that `telcolens stream consume` reads the stream with.",
    )
    session_hours: float = Field(12.0, gt=0, description="How long a console login lasts.")
    secure_cookies: bool = Field(
        False, description="Send the login cookie over HTTPS only (set behind TLS)."
    )

    retention_days: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict,
        description="Days of records kept per dated table, overriding the defaults "
        "(location_events 14, voice and sms 180, ...): 'location_events=7,voice=90'.",
    )

    @field_validator("retention_days", mode="before")
    @classmethod
    def _table_days(cls, value: object) -> object:
        """``table=days`` pairs, comma-separated, as an operator writes them."""
        if not isinstance(value, str):
            return value
        out: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in value.split(","))):
            table, sep, days = pair.partition("=")
            if not sep or not table.strip():
                raise ValueError(f"{pair!r} is not table=days (e.g. location_events=14)")
            out[table.strip()] = days.strip()
        return out

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        # All problems at once, one line each naming its variable (see ``describe``).
        problems = []
        if self.environment == "production" and self.pseudonym_key == DEVELOPMENT_PSEUDONYM_KEY:
            problems.append(
                "TELCOLENS_PSEUDONYM_KEY must be set to a secret of your own in production"
            )
        if len(self.pseudonym_key) < 16:
            problems.append("TELCOLENS_PSEUDONYM_KEY must be at least 16 characters")
        if self.environment == "production" and not self.secure_cookies:
            problems.append(
                "TELCOLENS_SECURE_COOKIES must be true in production: the login cookie must "
                "travel over HTTPS only (serve behind TLS)"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self


class SettingsError(BadInput):
    """Invalid ``TELCOLENS_*`` variables; the message names each and what it expects."""


# Values never shown in an error message.
SECRET_SETTINGS = frozenset({"pseudonym_key"})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once; tests call ``get_settings.cache_clear()``).

    Raises :class:`SettingsError` naming each invalid variable.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """``exc`` as lines an operator can act on: each variable, its value, what it expects."""
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:  # the checks across settings name their variables themselves
            lines += message.splitlines()
            continue
        field = str(error["loc"][0])
        shown = "(hidden)" if field in SECRET_SETTINGS else repr(_no_password(error["input"]))
        lines.append(f"TELCOLENS_{field.upper()}={shown}: {message.removeprefix('Input ')}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def _no_password(value: object) -> str:
    """``value`` with the password of any URL in it (scheme://user:password@host) masked."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", str(value))
