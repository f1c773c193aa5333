"""Formula text that came in through ingest reaches the run's CSVs neutralised, and back intact.

Cell cities are ingested from a CSV, outlet codes planted in the generated subscribers;
the day's run, its lists and the store load then go through the real code path.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens import dataset
from telcolens.antifraud import lists
from telcolens.antifraud.cli_run import _store_lists
from telcolens.antifraud.daily import run_day
from telcolens.antifraud.load import load_run
from telcolens.antifraud.models import CardBroker, CaseActivity, Reinstatement, WhitelistEntry
from telcolens.ingest import ingest_files
from telcolens.store.db import make_engine, upgrade

CITY = "=cmd|' /C calc'!A0 "  # the classic DDE payload, in front of each real city
OUTLET = "@SUM("


def _plain(path: Path) -> pd.DataFrame:
    """The file as a spreadsheet or any plain CSV reader sees it."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def planted(province: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("planted") / "data"
    shutil.copytree(province, data)
    cells = dataset.read_table(data, "cells").to_pandas()
    cells["city"] = CITY + cells["city"]
    csv = data.parent / "cells.csv"
    cells.to_csv(csv, index=False)
    shutil.rmtree(dataset.table_dir(data, "cells"))
    ingest_files(data, "cells", [csv], progress=False)
    for part in dataset.part_files(data, "subscribers"):
        table = pq.read_table(part)
        outlet = table.schema.get_field_index("sales_outlet")
        planted = pc.binary_join_element_wise(OUTLET, table["sales_outlet"], ")", "")
        pq.write_table(table.set_column(outlet, "sales_outlet", planted), part)
    return data


@pytest.fixture(scope="module")
def run(planted: Path, tmp_path_factory: pytest.TempPathFactory):
    return run_day(planted, tmp_path_factory.mktemp("run"))


def test_ingested_city_names_reach_activity_csv_neutralised(run) -> None:
    cities = _plain(run.out / "activity.csv").city
    assert len(cities) > 0
    assert cities.str.startswith("'" + CITY).all()


def test_outlet_codes_reach_card_brokers_csv_neutralised(run) -> None:
    brokers = _plain(run.out / "card_brokers.csv")
    outlets = brokers.entity[brokers.kind == "outlet"]
    assert len(outlets) > 0
    assert outlets.str.startswith("'" + OUTLET).all()
    # Pseudonyms in the same text column are numbers, and are written as they are.
    cards = brokers.entity[brokers.kind == "id_card"]
    assert len(cards) > 0 and not cards.str.startswith("'").any()
    assert cards.str.fullmatch(r"-?\d+").all()


def test_numeric_columns_keep_their_negative_numbers(run) -> None:
    listed = pd.read_csv(run.out / "fraud_list.csv")
    assert listed.subscriber_id.dtype == "int64"
    assert (listed.subscriber_id < 0).any()
    assert listed.subscriber_id.tolist() == run.fraud_list.subscriber_id.tolist()


def test_loading_the_run_gives_the_store_the_original_values(run, tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with Session(engine) as session, session.begin():
        load_run(session, run.out, actor="test")
    with Session(engine) as session:
        cities = set(session.scalars(select(CaseActivity.city)))
        outlets = set(session.scalars(select(CardBroker.entity).where(CardBroker.kind == "outlet")))
    engine.dispose()
    assert cities and all(c.startswith(CITY) for c in cities)
    expected = set(run.card_brokers.entity[run.card_brokers.kind == "outlet"])
    assert outlets == expected and all(o.startswith(OUTLET) for o in outlets)


def test_list_files_neutralise_analyst_text_and_read_it_back(run, planted, tmp_path) -> None:
    flagged = run.fraud_list.subscriber_id.tolist()
    reinstated = tmp_path / "reinstatements.csv"
    lists.reinstate(reinstated, flagged[0], "-2+3 verified rider", "@analyst")
    lists.reinstate(reinstated, flagged[1], "+1+1", "\tanalyst")
    on_disk = _plain(reinstated)
    assert on_disk.reason.tolist() == ["'-2+3 verified rider", "'+1+1"]
    assert on_disk.analyst.tolist() == ["'@analyst", "'\tanalyst"]
    assert on_disk.subscriber_id.tolist() == [str(s) for s in flagged[:2]]
    back = lists.read_reinstatements(reinstated)
    assert back.reason.tolist() == ["-2+3 verified rider", "+1+1"]
    assert back.analyst.tolist() == ["@analyst", "\tanalyst"]
    again = run_day(planted, tmp_path / "out", reinstatements=reinstated)
    assert not set(flagged[:2]) & set(again.fraud_list.subscriber_id)


def test_whitelist_notes_are_neutralised_and_read_back(tmp_path) -> None:
    path = tmp_path / "whitelist.csv"
    sid = lists.add_to_whitelist(path, "13812345678", "courier", '=HYPERLINK("x")', "-ops")
    assert _plain(path).note.tolist() == ['\'=HYPERLINK("x")']
    wl = lists.read_whitelist(path)
    assert wl.subscriber_id.tolist() == [sid]
    assert (wl.note.tolist(), wl.added_by.tolist()) == (['=HYPERLINK("x")'], ["-ops"])


def test_the_store_lists_a_run_is_given_are_neutralised(run, tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    sid = int(run.fraud_list.subscriber_id.iloc[0])
    when = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    with Session(engine) as session, session.begin():
        session.add(
            Reinstatement(subscriber_id=sid, reason="@SUM(A1)", analyst="a", reinstated_at=when)
        )
        session.add(
            WhitelistEntry(
                subscriber_id=1, category="courier", note="+1+1", added_by="=x", added_at=when
            )
        )
    wl_path, rs_path = _store_lists(engine, tmp_path, None, None)
    engine.dispose()
    assert _plain(rs_path).reason.tolist() == ["'@SUM(A1)"]
    assert (_plain(wl_path).note.tolist(), _plain(wl_path).added_by.tolist()) == (
        ["'+1+1"],
        ["'=x"],
    )
    assert lists.read_reinstatements(rs_path).reason.tolist() == ["@SUM(A1)"]
    assert lists.read_whitelist(wl_path).added_by.tolist() == ["=x"]


def test_model_scores_neutralise_ids_from_the_feature_table(tmp_path) -> None:
    from typer.testing import CliRunner

    from telcolens.cli import app
    from tests.antifraud._data import subscribers

    X, y, ids = subscribers(n=200)
    ids = "=1+" + ids.astype(str)  # an operator's own ids, one of them a formula
    pd.concat([ids, X, pd.Series(y, name="is_fraud")], axis=1).to_csv(
        tmp_path / "train.csv", index=False
    )
    pd.concat([ids, X], axis=1).to_csv(tmp_path / "new.csv", index=False)
    runner = CliRunner()
    trained = runner.invoke(
        app,
        ["antifraud", "train", "--features", str(tmp_path / "train.csv"), "--id-column",
         "msisdn", "--label-column", "is_fraud", "--model", str(tmp_path / "model")],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    out = tmp_path / "scores.csv"
    scored = runner.invoke(
        app,
        ["antifraud", "score", "--model", str(tmp_path / "model"), "--features",
         str(tmp_path / "new.csv"), "--out", str(out)],
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    scores = _plain(out)
    assert scores.msisdn.tolist() == ["'" + i for i in ids]
    assert not scores.score.str.startswith("'").any()
