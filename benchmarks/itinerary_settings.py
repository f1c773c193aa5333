"""Choose the card's free settings by cross-validation over generated provinces.

    python benchmarks/itinerary_settings.py                        # train 1-3, held out 101-105
    python benchmarks/itinerary_settings.py --subscribers 5000 --train 1 2 --test 101

The card's definition (a stay of 4 h or more, 14 days, a day's lag, longest stay) is the
service's and is not tuned. Two settings are ours to choose: where a stay's bounds fall
between sightings (``boundary``) and how close in time an A-B-A must be to count as
ping-pong (``pingpong_minutes``). Each candidate is built and evaluated
(:func:`telcolens.itinerary.evaluate.evaluate`) on the training seeds' provinces; the one
with the best mean exact-match share is then measured once on the held-out seeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import statistics
import tempfile
from pathlib import Path

from telcolens import engine as engines
from telcolens.itinerary.build import build
from telcolens.itinerary.evaluate import evaluate
from telcolens.itinerary.stays import StaySettings
from telcolens.simulate import generate_province

START = dt.date(2026, 11, 2)
BOUNDARIES = ("midpoint", "first_outside")
PINGPONG = (0.0, 10.0, 30.0, 90.0)


def _settings(boundary: str, pingpong: float, cumulative: bool) -> StaySettings:
    return StaySettings(boundary=boundary, pingpong_minutes=pingpong, cumulative=cumulative)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=5000)
    ap.add_argument("--days", type=int, default=16)
    ap.add_argument("--train", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--test", type=int, nargs="+", default=[101, 102, 103, 104, 105])
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="itinerary-cv-"))
    as_of = START + dt.timedelta(days=args.days - 1)  # the window: the 14 days before
    con = engines.connect("duckdb")

    def score(seed: int, settings: StaySettings) -> dict:
        data = work / f"seed-{seed}"
        if not (data / "truth" / "manifest.json").exists():
            generate_province(
                data,
                subscribers=args.subscribers,
                days=args.days,
                seed=seed,
                start=START,
                progress=False,
                overwrite=True,
            )
        index = work / f"index-{seed}"
        build(data, as_of, index, settings=settings, con=con)
        return evaluate(data, index, settings).to_json()

    rows = []
    n = len(args.train)
    for boundary, pingpong in itertools.product(BOUNDARIES, PINGPONG):
        # Both card rules count: the longest stay (the default) and stays added up, where
        # a ping-pong's minutes would add up to a city never entered.
        shares = [
            score(seed, _settings(boundary, pingpong, cumulative))["exact_share"]
            for cumulative in (False, True)
            for seed in args.train
        ]
        rows.append((statistics.mean(shares), boundary, pingpong))
        print(
            f"train {boundary:13} pingpong {pingpong:3.0f} min: longest "
            f"{' '.join(f'{x:.4f}' for x in shares[:n])}  cumulative "
            f"{' '.join(f'{x:.4f}' for x in shares[n:])}  mean {statistics.mean(shares):.4f}",
            flush=True,
        )
    # Ties go to the midpoint (no side favoured), then the shorter ping-pong window.
    best = max(rows, key=lambda r: (round(r[0], 5), r[1] == "midpoint", -r[2]))
    print(f"chosen: boundary={best[1]} pingpong_minutes={best[2]:g}", flush=True)
    for seed in args.test:
        for cumulative in (False, True):
            s = _settings(best[1], best[2], cumulative)
            print(
                f"held out seed {seed} cumulative={cumulative}: {json.dumps(score(seed, s))}",
                flush=True,
            )


if __name__ == "__main__":
    main()
