import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from telcolens.cli import app
from telcolens.settings import DEVELOPMENT_PSEUDONYM_KEY, Settings, SettingsError, get_settings


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
    monkeypatch.setenv("TELCOLENS_SECURE_COOKIES", "true")
    assert Settings().environment == "production"


def test_production_requires_secure_cookies(monkeypatch):
    monkeypatch.setenv("TELCOLENS_ENVIRONMENT", "production")
    monkeypatch.setenv("TELCOLENS_PSEUDONYM_KEY", "a-real-secret-of-the-operator")
    monkeypatch.delenv("TELCOLENS_SECURE_COOKIES", raising=False)
    with pytest.raises(ValidationError, match="TELCOLENS_SECURE_COOKIES must be true"):
        Settings()
    monkeypatch.setenv("TELCOLENS_SECURE_COOKIES", "false")
    with pytest.raises(ValidationError, match="TELCOLENS_SECURE_COOKIES must be true"):
        Settings()
    monkeypatch.setenv("TELCOLENS_SECURE_COOKIES", "true")
    assert Settings().secure_cookies
    monkeypatch.setenv("TELCOLENS_ENVIRONMENT", "development")
    monkeypatch.setenv("TELCOLENS_SECURE_COOKIES", "false")
    assert not Settings().secure_cookies  # plain HTTP stays possible in development


def test_short_keys_are_refused(monkeypatch):
    monkeypatch.setenv("TELCOLENS_PSEUDONYM_KEY", "short")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings()


def test_unknown_engine_is_refused(monkeypatch):
    monkeypatch.setenv("TELCOLENS_ENGINE", "oracle")
    with pytest.raises(ValidationError):
        Settings()


@pytest.fixture
def fresh_settings():
    """The settings read again from the environment the test sets, and again after it."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _lines(result) -> list[str]:
    return [" ".join(line.split()) for line in result.output.splitlines() if line.strip()]


@pytest.mark.usefixtures("fresh_settings")
def test_get_settings_names_each_invalid_variable(monkeypatch):
    monkeypatch.setenv("TELCOLENS_API_THREADS", "abc")
    monkeypatch.setenv("TELCOLENS_SESSION_HOURS", "-1")
    with pytest.raises(SettingsError) as raised:
        get_settings()
    message = str(raised.value)
    assert "TELCOLENS_API_THREADS='abc': should be a valid integer" in message
    assert "TELCOLENS_SESSION_HOURS='-1': should be greater than 0" in message


@pytest.mark.usefixtures("fresh_settings")
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"TELCOLENS_API_THREADS": "abc"},
            ["TELCOLENS_API_THREADS='abc': should be a valid integer"],
        ),
        (
            {"TELCOLENS_SESSION_HOURS": "-1"},
            ["TELCOLENS_SESSION_HOURS='-1': should be greater than 0"],
        ),
        (
            {"TELCOLENS_ENGINE": "oracle", "TELCOLENS_API_THREADS": "0"},
            [
                "TELCOLENS_ENGINE='oracle': should be 'duckdb' or 'spark'",
                "TELCOLENS_API_THREADS='0': should be greater than or equal to 1",
            ],
        ),
        (
            {"TELCOLENS_ENVIRONMENT": "production"},
            [
                "TELCOLENS_PSEUDONYM_KEY must be set to a secret of your own in production",
                "TELCOLENS_SECURE_COOKIES must be true in production",
            ],
        ),
    ],
)
@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"], ["tables"]])
def test_cli_says_which_setting_is_invalid(monkeypatch, tmp_path, env, expected, command):
    monkeypatch.delenv("TELCOLENS_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("TELCOLENS_SECURE_COOKIES", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if command != ["tables"]:
        command = [*command, "--database-url", f"sqlite:///{tmp_path / 'store.db'}"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    lines = _lines(result)
    assert lines[0] == "error: invalid settings:"
    for want in expected:
        assert any(line.startswith(want) for line in lines[1:]), lines
    assert len(lines) == 1 + len(expected)
    assert not (tmp_path / "store.db").exists()  # nothing ran


@pytest.mark.usefixtures("fresh_settings")
def test_cli_never_shows_the_key_or_a_database_password(monkeypatch, tmp_path):
    monkeypatch.setenv("TELCOLENS_PSEUDONYM_KEY", "short-secret")
    monkeypatch.setenv("TELCOLENS_DATABASE_URL", "postgresql+psycopg://ops:hunter2-pw@db/x")
    monkeypatch.setenv("TELCOLENS_DUCKDB_THREADS", "postgresql://ops:hunter2-pw@db/x")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2, result.output
    assert "TELCOLENS_DUCKDB_THREADS='postgresql://ops:***@db/x'" in result.output
    monkeypatch.delenv("TELCOLENS_DUCKDB_THREADS")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2, result.output
    assert "TELCOLENS_PSEUDONYM_KEY must be at least 16 characters" in result.output
    assert "short-secret" not in result.output and "hunter2" not in result.output
