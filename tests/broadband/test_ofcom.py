"""Reading Ofcom's broadband panel: the three years' layouts, units, the published headline."""

from __future__ import annotations

from pathlib import Path

import pytest

from telcolens.broadband.measures import MEASURES
from telcolens.broadband.ofcom import (
    STARTUP_COLUMNS,
    VIDEO_COLUMNS,
    PanelError,
    national_mean,
    read_panel,
)
from telcolens.errors import BadInput

OFCOM = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "broadband" / "ofcom"
pytestmark = pytest.mark.skipif(not OFCOM.is_dir(), reason=f"Ofcom data not present at {OFCOM}")

LINES = {2013: 2390, 2014: 1971, 2015: 2802}  # SOURCE.md


def panel_file(year: int) -> Path:
    return OFCOM / f"ofcom_broadband_{year}.csv"


@pytest.fixture(scope="module", params=sorted(LINES))
def year_panel(request: pytest.FixtureRequest):
    return request.param, read_panel(panel_file(request.param))


def test_every_year_reads_into_the_line_measures(year_panel) -> None:
    year, panel = year_panel
    assert len(panel) == LINES[year]
    assert panel.attrs["layout"] == str(year)
    assert panel.line_id.is_unique and panel.line_id.notna().all()
    assert set(MEASURES) <= set(panel.columns)
    assert panel.dl_mbps.notna().all()
    # Units as MEASURES says, whatever the year wrote: loss and DNS failures in percent
    # (2014 gives fractions, 2013 "0.160%"), so each year's medians agree.
    assert 0.01 <= panel.loss_pct.median() <= 0.2
    assert 0.1 <= panel.dns_fail_pct.quantile(0.9) <= 1.5
    assert 10 <= panel.latency_ms.median() <= 25
    assert 0.5 <= panel.jitter_ms.median() <= 2  # up plus down
    assert panel.disconnections.notna().any() == (year == 2015)


def test_only_2015_has_the_video_columns_and_1131_lines_are_held_out(year_panel) -> None:
    year, panel = year_panel
    if year != 2015:
        assert not set(VIDEO_COLUMNS) & set(panel.columns)
        return
    assert set(VIDEO_COLUMNS) <= set(panel.columns)
    with_video = panel[list(STARTUP_COLUMNS)].notna().any(axis=1)
    assert with_video.sum() == 1250
    # SOURCE.md: the held-out 1,131 have every video column empty (as do lines never tested).
    assert (~panel.loc[~with_video, list(VIDEO_COLUMNS)].notna().any(axis=1)).sum() >= 1131


def test_validity_and_weights_come_from_the_file() -> None:
    panel = read_panel(panel_file(2015))
    assert (~panel.valid).sum() == 2  # the two "Web - peak" lines
    assert panel.weight_national.notna().all()
    assert read_panel(panel_file(2013)).valid.all()  # no validity column that year


def test_2013_repeated_ids_get_their_row_number() -> None:
    panel = read_panel(panel_file(2013))
    repeated = panel.line_id[panel.line_id.str.startswith("FTTC")]
    assert len(repeated) == 940
    assert repeated.iloc[0] == "FTTC#1451"  # the file's 1,451st data row
    assert panel.line_id.iloc[0] == "1302"


def test_the_weighted_national_mean_reproduces_ofcoms_headline() -> None:
    panel = read_panel(panel_file(2015))
    assert round(national_mean(panel, "dl_mbps"), 1) == 28.9
    assert round(national_mean(panel, "ul_mbps"), 1) == 3.7


def test_the_national_mean_leaves_out_invalid_lines() -> None:
    panel = read_panel(panel_file(2015))
    # The two invalid lines are 260-280 Mbit/s FTTP lines with weight 0: weighting them
    # in would not move the mean; with weight they would.
    panel.loc[~panel.valid, "weight_national"] = 5.0
    assert round(national_mean(panel, "dl_mbps"), 1) == 28.9
    with pytest.raises(PanelError, match="no column"):
        national_mean(panel, "speed")


HEADER_2015 = "unit_id,WT_national,Valid_panel,DL24hrmean,UL24hrmean,Latency24hr"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        (HEADER_2015 + "\n", "a header but no rows"),
        ("id,speed\n1,2\n", "not an Ofcom panel file: no line id column"),
        ("unit_id,UL24hrmean\n1,2\n", "no column DL24hrmean for dl_mbps"),
        (HEADER_2015 + "\n1,0.5,Valid panelist,fast,1,20\n", "DL24hrmean must hold numbers"),
        (HEADER_2015 + '\n1,"0.5\n', "not a readable CSV"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path: Path, content, message) -> None:
    path = tmp_path / "panel.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PanelError, match=message) as caught:
        read_panel(path)
    assert isinstance(caught.value, BadInput)
    assert str(path) in str(caught.value)


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "panel.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(PanelError, match="not a UTF-8 text file"):
        read_panel(path)


def test_missing_markers_and_percent_cells(tmp_path: Path) -> None:
    path = tmp_path / "panel.csv"
    path.write_text(
        "ID,Download.speed..Mbit.s..24.hour,Upload.speed..Mbit.s.24.hour,"
        "Packet.loss....24.hour,DNS.failure....24.hour,Nat.weights\n"
        "7,10,1,0.160%,0.002,#NULL!\n"
        "8,#NULL!,,0.003,,1\n"
    )
    panel = read_panel(path)
    assert panel.loss_pct.tolist() == pytest.approx([0.16, 0.3])  # "%" kept, fraction x 100
    assert panel.dns_fail_pct.iloc[0] == pytest.approx(0.2)
    assert panel.dl_mbps.isna().tolist() == [False, True]
    assert panel.ul_mbps.isna().tolist() == [False, True]
    assert panel.latency_ms.isna().all()  # a column the file lacks: missing, not an error
