"""Generate a whole province: static tables once, then records day by day.

Each day draws from its own random stream (``SeedSequence(seed, spawn_key=(1, day))``),
so the data do not depend on how the work is chunked. Parquet parts are written on
a background thread (pyarrow releases the GIL) while the next day is drawn.
"""

from __future__ import annotations

import datetime
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from telcolens.console import progress_bar
from telcolens.dataset import TRUTH_DIR, day_part, part_day, split_days, write_part
from telcolens.errors import BadInput
from telcolens.schema import TABLES
from telcolens.simulate import (
    _legs,
    activity,
    broadband,
    brokers,
    faults,
    fraud,
    itinerary,
    lookalikes,
    mobility,
    network,
    population,
    social,
    truth,
)
from telcolens.simulate.geography import CITY_NAMES, Geography, build_geography

MIN_SUBSCRIBERS = 1000
# Independent random streams: the world, each day's subscriber records, the static
# tables, each day's network tables, the planted network faults, the broadband plant
# (topology, scenarios, complaints, repairs) and each day's broadband samples. Never
# renumber: it would change every province.
_STATIC, _DAILY, _STATIC_TABLES, _DAILY_PLANT, _FAULTS = 0, 1, 2, 3, 4
_BROADBAND, _DAILY_BROADBAND, _DAILY_ITINERARY = 5, 6, 7
# Threads that write Parquet and draw the plant tables (broadband KPIs, alarms) of a
# day while the main thread draws its subscriber records: numpy and Arrow release
# the GIL in their loops, so this puts the second core to work.
WRITERS = 3


@dataclass
class ProvinceSummary:
    """What :func:`generate_province` wrote."""

    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    truth: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def generate_province(
    out: Path,
    *,
    subscribers: int,
    days: int,
    seed: int,
    start: datetime.date = datetime.date(2026, 11, 2),
    progress: bool = True,
    overwrite: bool = False,
    calls_per_day: float | None = None,
) -> ProvinceSummary:
    """Write a synthetic Shandong-like province with planted behaviours into ``out``.

    Parameters
    ----------
    subscribers, days, seed
        Size, length and random seed; the same three give byte-identical tables.
    start
        First day of records (a Monday by default).
    overwrite
        Replace a province already in ``out`` instead of refusing.
    calls_per_day
        Mean social MO calls per ordinary subscriber per day (about 4.5 by default).
    """
    out = Path(out)
    _check(out, subscribers, days, overwrite)
    started = time.perf_counter()
    summary = ProvinceSummary(out=out, rows=dict.fromkeys(TABLES, 0))
    bar = progress_bar(disable=not progress)
    with ThreadPoolExecutor(WRITERS) as writer, bar:
        task = bar.add_task("setting up the province", total=days + 1)
        world = _World.build(subscribers, days, seed, start, calls_per_day)
        pending = [
            writer.submit(_write, out, name, t, "part-000")
            for name, t in world.static_tables().items()
        ]
        for d in range(days):
            bar.update(task, advance=1, description=f"day {d + 1} of {days}")
            plant = writer.submit(_write_plant_day, out, world, d)
            tables = world.day(d)
            _drain(pending, summary)  # at most one day waits in memory
            pending = [
                plant,
                *(writer.submit(_write, out, name, t, world.part(d)) for name, t in tables.items()),
            ]
        _drain(pending, summary)
        summary.truth = world.write_truth(out)
        bar.update(task, advance=1, description="province written")
    summary.seconds = time.perf_counter() - started
    return summary


def _check(out: Path, subscribers: int, days: int, overwrite: bool) -> None:
    if subscribers < MIN_SUBSCRIBERS:
        raise BadInput(
            f"subscribers must be at least {MIN_SUBSCRIBERS} (got {subscribers}): "
            "smaller provinces leave too few fraud callers to plant"
        )
    if days < 1:
        raise BadInput(f"days must be at least 1 (got {days})")
    if out.exists() and not out.is_dir():
        raise BadInput(f"{out} exists and is not a directory")
    existing = [p for p in [*(out / t for t in TABLES), out / TRUTH_DIR] if p.exists()]
    if existing and not overwrite:
        raise BadInput(
            f"{out} already holds a province ({existing[0].name}/ and others); "
            "choose another directory, or replace it with --overwrite"
        )
    for path in existing:
        shutil.rmtree(path)


def _write(out: Path, name: str, table: pa.Table, part: str) -> tuple[str, int]:
    """Write a table's part; a dated table's records of another day go to that day's name.

    A day's activity can run past midnight (an SMS sent at 00:00:37): such records land
    in a part of their own day (``day-2026-11-18.from-2026-11-17``), so every part holds
    one record day, as ``dataset`` promises.
    """
    spec, day = TABLES[name], part_day(part)
    pieces = split_days(spec, table) if spec.time and day else [(day, table)]
    if len(pieces) == 1 and pieces[0][0] == day:
        write_part(out, spec, table, part)  # the usual case: written as it was drawn
        return name, table.num_rows
    for piece_day, piece in pieces:
        if piece_day == day:
            write_part(out, spec, piece, part)
        else:
            suffix = f"from-{day.isoformat()}"
            write_part(out, spec, piece, day_part(piece_day, suffix) if piece_day else part)
    return name, table.num_rows


def _write_plant_day(out: Path, world: _World, d: int) -> list[tuple[str, int]]:
    return [_write(out, name, t, world.part(d)) for name, t in world.plant_day(d).items()]


def _drain(pending: list[Future], summary: ProvinceSummary) -> None:
    for f in pending:
        result = f.result()
        for name, rows in result if isinstance(result, list) else [result]:
            summary.rows[name] += rows
    pending.clear()


@dataclass
class _World:
    """Everything fixed over the window: places, people, ties, plans, lines."""

    seed: int
    days: int
    start: datetime.date
    geo: Geography
    pop: population.Population
    contacts: social.Contacts
    looks: dict[str, np.ndarray]
    brokers: brokers.Brokers
    plan: fraud.FraudPlan
    lines: broadband.Lines
    elements: pa.Table
    links: pa.Table
    planted: faults.PlantedFaults
    # Per day: the planted alarms' ids and their faults (filled as days are drawn).
    fault_alarms: dict[int, pa.Table] = field(default_factory=dict)
    borders: itinerary.Borders | None = None
    # Per day: away periods of phones that were on, and which phones were on.
    away: dict[int, pa.Table] = field(default_factory=dict)
    on_days: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        subscribers: int,
        days: int,
        seed: int,
        start: datetime.date,
        calls_per_day: float | None,
    ) -> _World:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_STATIC,)))
        geo = build_geography(rng, subscribers)
        pop = population.build_population(rng, geo, subscribers, start)
        if calls_per_day is not None:
            pop.rate *= np.float32(calls_per_day / 4.5)
        looks = lookalikes.assign(pop, rng)
        plant = brokers.plant(pop, rng, days)
        plan = fraud.plant(pop, rng, plant, days)
        population.finalise(pop, rng, geo)
        contacts = social.build_contacts(pop, geo, rng)
        bb_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_BROADBAND,)))
        lines = broadband.build_lines(pop, geo, rng, bb_rng, days)
        elements, links = network.build(geo, lines.olt_id, lines.olt_county, rng)
        fault_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_FAULTS,)))
        start_us = (start - activity.EPOCH).days * activity.US_PER_DAY
        planted = faults.plant(elements, links, start_us, days, fault_rng)
        world = cls(
            seed,
            days,
            start,
            geo,
            pop,
            contacts,
            looks,
            plant,
            plan,
            lines,
            elements,
            links,
            planted,
        )
        world.borders = itinerary.borders(pop, geo)
        return world

    def part(self, d: int) -> str:
        """The name of day ``d``'s parts: the record day itself (``dataset.day_part``)."""
        return day_part(self.start + datetime.timedelta(days=d))

    def static_tables(self) -> dict[str, pa.Table]:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(_STATIC_TABLES,)))
        start_us = activity.Day(0, self.start, rng).start_us
        geo = self.geo
        return {
            "subscribers": population.subscribers_table(self.pop, geo),
            "devices": population.devices_table(
                self.pop, start_us, start_us + self.days * activity.US_PER_DAY, rng
            ),
            "cells": pa.table(
                {
                    "cell_id": geo.cell_id,
                    "site_id": geo.cell_site,
                    "lat": geo.cell_lat,
                    "lon": geo.cell_lon,
                    "city": np.array(CITY_NAMES)[geo.county_city[geo.cell_county]],
                    "county": geo.county_code[geo.cell_county],
                    "rat": np.where(geo.cell_rat == 1, "5G", "4G"),
                }
            ),
            "broadband_lines": self.lines.table,
            "network_elements": self.elements,
            "links": self.links,
        }

    def day(self, d: int) -> dict[str, pa.Table]:
        """Every daily table for day ``d``."""
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(_DAILY, d)))
        pop, geo = self.pop, self.geo
        day = mobility.plan_trips(
            pop, geo, activity.Day(d, self.start + datetime.timedelta(days=d), rng)
        )
        side = np.random.SeedSequence(self.seed, spawn_key=(_DAILY_ITINERARY, d))
        day = itinerary.plan_visits(pop, geo, day, np.random.default_rng(side))
        active = activity.active_today(pop, day)
        work_calls, work_sms = lookalikes.daily(pop, self.contacts, day, active)
        calls = activity.Batch.concat(
            [
                activity.social_calls(pop, self.contacts, day, active),
                work_calls,
                fraud.daily(pop, self.plan, day, active),
            ]
        )
        sms = activity.Batch.concat(
            [
                activity.social_sms(pop, self.contacts, day, active),
                work_sms,
                fraud.smishing(pop, self.plan, day, active),
            ]
        )
        locs = _legs.Locations()
        tables = {
            "voice": _legs.voice_table(calls, pop, geo, day),
            "sms": _legs.sms_table(sms, pop, geo, day),
            "data_sessions": _legs.data_table(
                activity.data_sessions(pop, day, active), pop, geo, day
            ),
        }
        sub, t, cell, handover = mobility.signalling(pop, geo, day, active)
        # A commuter away on a trip or visit does not commute: no handovers at home then.
        stay = ~handover | (itinerary.away_now(day, sub, t)[0] < 0)
        sub, t, cell, handover = sub[stay], t[stay], cell[stay], handover[stay]
        kind = np.where(handover, _legs.EVENT["handover"], _legs.EVENT["periodic_update"])
        locs.add(sub, t, cell, kind.astype(np.int8))
        sub, t, cell = itinerary.pingpong(pop, self.borders, day, active)
        locs.add(sub, t, cell, np.full(len(sub), _legs.EVENT["area_update"], np.int8))
        sub, t, cell = itinerary.area_updates(pop, geo, day, active)
        locs.add(sub, t, cell, np.full(len(sub), _legs.EVENT["area_update"], np.int8))
        tables["location_events"] = locs.table(pop, geo, rng)
        on = active | itinerary.served_today(pop, tables)
        self.on_days.append(on)
        self.away[d] = itinerary.away_truth(pop, day, on)
        return tables

    def plant_day(self, d: int) -> dict[str, pa.Table]:
        """The network's own daily tables for day ``d``, from a random stream of their own
        (so they can be drawn in parallel with :meth:`day` and stay deterministic)."""
        seq = np.random.SeedSequence(self.seed, spawn_key=(_DAILY_PLANT, d))
        day = activity.Day(d, self.start + datetime.timedelta(days=d), np.random.default_rng(seq))
        bb_seq = np.random.SeedSequence(self.seed, spawn_key=(_DAILY_BROADBAND, d))
        home = broadband.day_tables(self.lines, day, np.random.default_rng(bb_seq))
        alarms = faults.day_alarms(
            network.alarms(self.elements, day), self.planted.of_day(day.start_us), d
        )
        planted = alarms.filter(alarms["fault_id"].is_valid())
        self.fault_alarms[d] = planted.select(["alarm_id", "fault_id"])
        return {**home, "alarms": alarms.drop_columns(["fault_id"])}

    def write_truth(self, out: Path) -> dict[str, int]:
        manifest = {
            "seed": self.seed,
            "days": self.days,
            "subscribers": self.pop.n,
            "start": self.start.isoformat(),
            "missing_record_rate": _legs.MISSING,
        }
        network_truth = {
            "faults": self.planted.faults,
            "fault_alarms": pa.concat_tables([self.fault_alarms[d] for d in range(self.days)]),
            "itinerary_away": pa.concat_tables([self.away[d] for d in range(self.days)]),
            **itinerary.home_truth(self.pop, self.geo, self.on_days),
        }
        return truth.write(
            out,
            self.pop,
            self.looks,
            self.brokers,
            self.plan,
            self.lines,
            manifest,
            extra=network_truth,
        )
