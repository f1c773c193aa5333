"""One typed settings object, read from ``TELCOLENS_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Public on purpose: it lets the demo and tests run with no set-up. Outside
# development a deployment must set its own key, or pseudonyms could be reversed
# by anyone who hashes candidate numbers with this one.
DEVELOPMENT_PSEUDONYM_KEY = "telcolens-development-key-not-secret"


class Settings(BaseSettings):
    """Process-wide settings. Every field can be set as ``TELCOLENS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="TELCOLENS_", extra="ignore")

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
    alarm_data_dir: str | None = Field(
        None,
        description="Data directory whose alarms table the API's VES endpoint appends to "
        "(POST /api/faults/ves answers 503 while unset).",
    )
    session_hours: float = Field(12.0, gt=0, description="How long a console login lasts.")
    secure_cookies: bool = Field(
        False, description="Send the login cookie over HTTPS only (set behind TLS)."
    )

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.pseudonym_key == DEVELOPMENT_PSEUDONYM_KEY:
            raise ValueError(
                "TELCOLENS_PSEUDONYM_KEY must be set to a secret of your own in production"
            )
        if len(self.pseudonym_key) < 16:
            raise ValueError("TELCOLENS_PSEUDONYM_KEY must be at least 16 characters")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once; tests call ``get_settings.cache_clear()``)."""
    return Settings()
