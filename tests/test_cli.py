"""The command line, driven in-process with Typer's CliRunner."""

import re

import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from telcolens.antifraud.models import FraudCase
from telcolens.cli import app
from telcolens.store.db import make_engine
from telcolens.store.users import authenticate
from tests.profile._tiny import make_tiny_province

runner = CliRunner()


def text(result) -> str:
    """The output with Rich's panel borders and line wrapping taken out."""
    return " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize("command", [[], ["demo"], ["generate"], ["ingest"], ["profile"]])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_demo_help_lists_its_options():
    result = runner.invoke(app, ["demo", "--help"])
    for option in ("--out", "--subscribers", "--days", "--seed", "--engine"):
        assert option in result.output


def test_profile_command_writes_one_row_per_subscriber(tmp_path):
    data = make_tiny_province(tmp_path / "data")
    out = tmp_path / "profile.parquet"
    result = runner.invoke(app, ["profile", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).num_rows == 3
    assert "3 subscriber profiles" in result.output


def test_profile_command_rejects_unknown_engine(tmp_path):
    data = make_tiny_province(tmp_path / "data")
    result = runner.invoke(
        app,
        [
            "profile",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "p.parquet"),
            "--engine",
            "oracle",
        ],
    )
    assert result.exit_code == 2
    assert "choose one of duckdb, spark" in text(result)


def test_profile_command_rejects_missing_data_dir(tmp_path):
    result = runner.invoke(
        app, ["profile", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "p.parquet")]
    )
    assert result.exit_code == 2
    assert "does not exist" in text(result)


def test_tables_lists_every_table():
    result = runner.invoke(app, ["tables"])
    assert result.exit_code == 0
    for name in ("subscribers", "voice", "broadband_kpi", "alarms"):
        assert name in result.output


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not made by `telcolens demo`" in text(result)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_ingest_command_reports_and_refuses_bad_files(tmp_path):
    good = tmp_path / "cells.csv"
    good.write_text("cell_id,site_id,lat,lon,city,county,rat\n1,1,36.6,117.0,Jinan,370102,4G\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("cell_id,site_id,lat,lon,city,county,rat\n2,1,36.6,117.0,Jinan,370102,3G\n")
    data = tmp_path / "data"

    ok = runner.invoke(app, ["ingest", "--data", str(data), "--table", "cells", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "1 rows, ingested" in text(ok)
    again = runner.invoke(app, ["ingest", "--data", str(data), "--table", "cells", str(good)])
    assert "already ingested" in text(again)

    refused = runner.invoke(app, ["ingest", "--data", str(data), "--table", "cells", str(bad)])
    assert refused.exit_code == 2
    assert "bad.csv" in text(refused) and "'rat'" in text(refused)
    assert "Nothing was written" in text(refused)
    assert pq.read_table(next((data / "cells").glob("*.parquet"))).num_rows == 1


def test_demo_runs_end_to_end_and_says_where_outputs_are(tmp_path):
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--subscribers", "2000", "--days", "1", "--no-serve"]
    result = runner.invoke(app, [*args, "--seed", "3"])
    assert result.exit_code == 0, result.output
    said = text(result)
    assert "Usage profile" in said and "subscribers profiled 2,000" in said
    assert "fraud numbers" in said  # what was planted
    assert "output:" in said and "profile.parquet" in said
    assert pq.read_table(out / "results" / "profile.parquet").num_rows == 2000
    # The results are in the demo's store, behind the printed admin password.
    password = re.search(r"demo-admin \(admin\), password (\S+)", said).group(1)
    engine = make_engine(f"sqlite:///{out / 'telcolens.db'}")
    with Session(engine) as session:
        assert authenticate(session, "demo-admin", password) is not None
        flagged = pd.read_csv(out / "results" / "antifraud" / "run" / "fraud_list.csv")
        cases = session.scalar(sa.select(sa.func.count()).select_from(FraudCase))
        assert cases == len(flagged) > 0
    engine.dispose()
    assert "telcolens serve --database-url" in said
    # A second run replaces its own folder (and its store) instead of refusing it.
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output


def test_generate_refuses_to_mix_provinces(tmp_path):
    args = ["generate", "--out", str(tmp_path / "p"), "--subscribers", "1000", "--days", "1"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "voice" in text(first)
    second = runner.invoke(app, args)
    assert second.exit_code == 2
    assert "already holds a province" in text(second) and "--overwrite" in text(second)
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0


def test_generate_rejects_too_small_a_province(tmp_path):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--subscribers", "10"])
    assert result.exit_code == 2
    assert "1000" in text(result)


def test_profile_command_names_a_missing_required_table(tmp_path):
    (tmp_path / "data").mkdir()
    result = runner.invoke(
        app, ["profile", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "p.parquet")]
    )
    assert result.exit_code == 2
    assert "no subscribers table" in text(result)
    assert not (tmp_path / "p.parquet").exists()
