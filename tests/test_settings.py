import pytest
from pydantic import ValidationError

from telcolens.settings import DEVELOPMENT_PSEUDONYM_KEY, Settings


def test_development_defaults_are_usable(monkeypatch):
    monkeypatch.delenv("TELCOLENS_PSEUDONYM_KEY", raising=False)
    settings = Settings()
    assert settings.pseudonym_key == DEVELOPMENT_PSEUDONYM_KEY
    assert settings.engine == "duckdb"


def test_production_refuses_the_development_key(monkeypatch):
    monkeypatch.setenv("TELCOLENS_ENVIRONMENT", "production")
    monkeypatch.delenv("TELCOLENS_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ValidationError, match="PSEUDONYM_KEY must be set"):
        Settings()
    monkeypatch.setenv("TELCOLENS_PSEUDONYM_KEY", "a-real-secret-of-the-operator")
    assert Settings().environment == "production"


def test_short_keys_are_refused(monkeypatch):
    monkeypatch.setenv("TELCOLENS_PSEUDONYM_KEY", "short")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings()


def test_unknown_engine_is_refused(monkeypatch):
    monkeypatch.setenv("TELCOLENS_ENGINE", "oracle")
    with pytest.raises(ValidationError):
        Settings()
