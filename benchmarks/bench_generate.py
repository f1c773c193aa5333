"""Time the synthetic province generator end to end (including Parquet writing).

.venv/bin/python benchmarks/bench_generate.py --subscribers 200000 --days 7
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

from telcolens.simulate import generate_province


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="Keep the province here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "province"
        s = generate_province(
            out,
            subscribers=args.subscribers,
            days=args.days,
            seed=args.seed,
            progress=False,
            overwrite=True,
        )
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    voice = s.rows["voice"]
    print(
        f"{args.subscribers:,} subscribers x {args.days} days: {sum(s.rows.values()):,} rows "
        f"({voice:,} voice) in {s.seconds:.1f} s"
    )
    print(f"voice CDR rows/s: {voice / s.seconds:,.0f}; peak RSS {peak_gb:.2f} GB")
    for name, rows in s.rows.items():
        print(f"  {name:18} {rows:>12,}")


if __name__ == "__main__":
    main()
