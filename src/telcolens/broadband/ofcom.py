"""Reading Ofcom's home broadband panel (SamKnows format) into the line measures.

Ofcom publishes one row per home line measured by a SamKnows router over a month. The
2013 and 2014 files have R-mangled long names (``Download.speed..Mbit.s..24.hour``), the
2015 file short ones (``DL24hrmean``) and, for 2015 only, the video tests (start-up delay,
HD share, failures of YouTube, Netflix and iPlayer). :func:`read_panel` reads any of the
three into one frame: ``line_id``, the :data:`~telcolens.broadband.measures.MEASURES`
columns in their units, the survey weights, technology, validity and the video columns
under Ofcom's names. Missing values are empty cells or the literal ``#NULL!``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from telcolens.broadband.measures import MEASURES
from telcolens.errors import BadInput

NULLS = ("", "#NULL!")
VIDEO_SERVICES = ("YouTube", "Netflix", "iPlayer")
VIDEO_COLUMNS = tuple(
    f"{service}{what}{period}"
    for service in VIDEO_SERVICES
    for period in ("24hr", "Peak")
    for what in ("UHD", "HD", "SD", "Failed", "StartupDelay")
)
"""The 2015 video test columns: shares of UHD/HD/SD streams and failures, start-up delay (ms)."""
STARTUP_COLUMNS = tuple(f"{service}StartupDelay24hr" for service in VIDEO_SERVICES)


class PanelError(BadInput):
    """An Ofcom panel file cannot be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Layout:
    """Where one year's file keeps each field: Ofcom's column name(s) per output column.

    A tuple of names is summed (jitter: up plus down, the round trip's variation).
    ``fraction`` lists the outputs the file gives as fractions, not percent.
    """

    name: str
    line_id: str
    fields: dict[str, str | tuple[str, ...]]
    fraction: tuple[str, ...] = ()


_LONG = {  # 2013 and 2014: R's make.names of Ofcom's spreadsheet headers
    "dl_peak_mbps": "Download.speed..Mbit.s..8.10pm.weekday",
    "ul_mbps": "Upload.speed..Mbit.s.24.hour",
    "latency_ms": "Latency..ms.24.hour",
    "latency_peak_ms": "Latency..ms.8.10pm.weekday",
    "jitter_ms": ("Jitter.up..ms.24.hour", "Jitter.down..ms.24.hour"),
    "loss_pct": "Packet.loss....24.hour",
    "loss_peak_pct": "Packet.loss....8.10pm.weekday",
    "dns_rtt_ms": "DNS.resolution..ms.24.hour",
    "dns_fail_pct": "DNS.failure....24.hour",
    "technology": "Technology",
    "isp": "ISP",
}
# The long-name files give packet loss and DNS failure as fractions (2014's median packet
# loss 0.001 is 2015's 0.05-0.1 %), except 2013's packet loss, written "0.160%": a cell
# ending in % is read as percent whatever the layout says.
_FRACTIONS = ("loss_pct", "loss_peak_pct", "dns_fail_pct")
LAYOUTS = (
    Layout(
        "2015",
        "unit_id",
        {
            "dl_mbps": "DL24hrmean",
            "dl_peak_mbps": "DLpeakmean",
            "ul_mbps": "UL24hrmean",
            "latency_ms": "Latency24hr",
            "latency_peak_ms": "LatencyPeak",
            "jitter_ms": ("JitterUp24hr", "JitterDown24hr"),
            "loss_pct": "PacketLoss24hr",
            "loss_peak_pct": "PacketLossPeak",
            "dns_rtt_ms": "DNSRTT24hr",
            "dns_fail_pct": "DNSFail24hr",
            "disconnections": "Disconnections",
            "weight_national": "WT_national",
            "weight_isp": "WT_ISP",
            "technology": "Tech",
            "isp": "Pack_number",
            "valid": "Valid_panel",
        },
    ),
    Layout(
        "2014",
        "Id",
        {
            "dl_mbps": "Download.speed..Mbit.s..24.hrs",
            **_LONG,
            "weight_national": "nat.weights",
            "weight_isp": "isp.weights",
        },
        _FRACTIONS,
    ),
    Layout(
        "2013",
        "ID",
        {
            "dl_mbps": "Download.speed..Mbit.s..24.hour",
            **_LONG,
            "weight_national": "Nat.weights",
            "weight_isp": "ISP.weights",
        },
        _FRACTIONS,
    ),
)
REQUIRED = ("dl_mbps", "ul_mbps")
_TEXT = ("technology", "isp", "valid")


def read_panel(path: str | Path) -> pd.DataFrame:
    """One Ofcom panel file (2013, 2014 or 2015 layout) as line measures.

    Returns a frame with ``line_id`` (text: Ofcom's ``unit_id``; an id the file repeats,
    such as 2013's 940 rows with id ``FTTC``, gets ``#`` and its data row number), every
    :data:`MEASURES` column (missing where the year has no such column), ``weight_national``
    and ``weight_isp``, ``technology``, ``isp``, ``valid`` (Ofcom's ``Valid_panel``; all
    true in the years without one) and, for 2015, :data:`VIDEO_COLUMNS`. The frame's
    ``attrs["layout"]`` names the year whose layout was read.
    """
    path = Path(path)
    raw = _read_text_csv(path)
    layout = _layout(raw, path)
    out = pd.DataFrame({"line_id": _line_ids(raw[layout.line_id])})
    for name in (*MEASURES, "weight_national", "weight_isp"):
        source = layout.fields.get(name)
        present = source is not None and all(c in raw for c in _names(source))
        if name in REQUIRED and not present:
            raise PanelError(
                f"{path}: no column {' + '.join(_names(source or ()))} for {name} "
                f"(the {layout.name} layout)"
            )
        if not present:
            out[name] = np.nan
            continue
        parts = [
            _numbers(raw[c], path, c, layout.name, name in layout.fraction) for c in _names(source)
        ]
        out[name] = sum(parts[1:], parts[0])
    for name in _TEXT:
        column = layout.fields.get(name)
        values = raw[column] if column in raw else pd.Series(pd.NA, index=raw.index)
        out[name] = values.replace(list(NULLS), pd.NA).astype("string")
    # The years without a validity column published only valid panellists.
    valid = layout.fields.get("valid")
    out["valid"] = (
        out["valid"].eq("Valid panelist").fillna(False).astype(bool) if valid in raw else True
    )
    for column in VIDEO_COLUMNS:
        if column in raw:
            out[column] = _numbers(raw[column], path, column, layout.name, False)
    out.attrs["layout"] = layout.name
    return out


def national_mean(panel: pd.DataFrame, measure: str = "dl_mbps") -> float:
    """The mean of ``measure`` over valid panel lines weighted by ``weight_national``.

    This is how Ofcom's headline figures are made (28.9 Mbit/s download, 3.7 upload for
    2015); lines without a weight or a value are left out.
    """
    if measure not in panel:
        raise PanelError(f"the panel has no column {measure}")
    keep = panel["valid"] & panel["weight_national"].notna() & panel[measure].notna()
    weights = panel.loc[keep, "weight_national"]
    if not weights.sum() > 0:
        raise PanelError(f"no valid line has both a national weight and {measure}")
    return float(np.average(panel.loc[keep, measure], weights=weights))


def _read_text_csv(path: Path) -> pd.DataFrame:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PanelError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PanelError(f"{path}: is a folder, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise PanelError(
            f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})"
        ) from None
    if not text.strip():
        raise PanelError(f"{path}: the file is empty")
    try:
        # Everything as text: the missing-value markers and "0.160%" are read by _numbers.
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise PanelError(f"{path}: not a readable CSV file ({exc})") from None


def _layout(raw: pd.DataFrame, path: Path) -> Layout:
    for layout in LAYOUTS:
        if layout.line_id in raw.columns:
            if raw.empty:
                raise PanelError(f"{path}: the file has a header but no rows")
            return layout
    ids = ", ".join(layout.line_id for layout in LAYOUTS)
    found = ", ".join(map(str, raw.columns[:8])) + (", ..." if raw.shape[1] > 8 else "")
    raise PanelError(f"{path}: not an Ofcom panel file: no line id column ({ids}); found {found}")


def _line_ids(ids: pd.Series) -> pd.Series:
    ids = ids.str.strip()
    repeated = ids.duplicated(keep=False) | ids.isin(NULLS)
    rows = pd.Series(np.arange(1, len(ids) + 1), index=ids.index).astype(str)
    return ids.where(~repeated, ids + "#" + rows).astype("string")


def _names(source: str | tuple[str, ...]) -> tuple[str, ...]:
    return (source,) if isinstance(source, str) else source


def _numbers(values: pd.Series, path: Path, column: str, year: str, fraction: bool) -> pd.Series:
    text = values.str.strip()
    percent = text.str.endswith("%")
    numbers = pd.to_numeric(text.str.removesuffix("%").where(~text.isin(NULLS)), errors="coerce")
    bad = numbers.isna() & ~text.isin(NULLS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise PanelError(
            f"{path}: column {column} must hold numbers ({year} layout); "
            f"data row {row + 1} has {values.iloc[row]!r}"
        )
    if fraction:
        numbers = numbers.where(percent, numbers * 100)
    return numbers.astype("float64")
