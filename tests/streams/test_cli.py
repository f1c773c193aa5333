"""``telcolens stream publish|consume`` through the root app, on a stream of the test's own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from telcolens.cli import build_app
from telcolens.dataset import read_table
from tests.streams.helpers import expected_voice, same_rows


def test_publish_a_province_day_then_consume_it(province: Path, names, tmp_path: Path):
    app, runner = build_app(), CliRunner()
    args = ["stream", "publish", "--table", "voice", "--data", str(province)]
    published = runner.invoke(app, [*args, "--day", "2026-11-02"])
    assert published.exit_code == 0, published.output
    assert "voice records in" in published.output
    consumed = runner.invoke(
        app, ["stream", "consume", "--data", str(tmp_path), "--once", "--max-wait", "0.5"]
    )
    assert consumed.exit_code == 0, consumed.output
    want = expected_voice(province, [dt.date(2026, 11, 2)])
    assert f"{want.num_rows:,} records in 1 parts" in consumed.output
    assert same_rows(read_table(tmp_path, "voice"), want)


def test_publish_refuses_files_and_a_directory_together(names, tmp_path: Path):
    result = CliRunner().invoke(
        build_app(), ["stream", "publish", "--table", "voice", "--data", str(tmp_path), "x.csv"]
    )
    assert result.exit_code == 2 and "not both or neither" in result.output


def test_publish_names_a_table_that_is_not_streamed(names, tmp_path: Path):
    (tmp_path / "cells.csv").write_text("cell_id\n1\n")
    result = CliRunner().invoke(
        build_app(), ["stream", "publish", "--table", "cells", str(tmp_path / "cells.csv")]
    )
    assert result.exit_code == 2 and "is not streamed" in result.output
