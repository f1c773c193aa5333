"""Shandong's cities, counties and cells."""

from __future__ import annotations

import numpy as np

from telcolens.simulate.geography import CITIES, MIN_CELLS_PER_COUNTY, build_geography


def test_sixteen_cities_without_laiwu():
    codes = [c[1] for c in CITIES]
    assert len(codes) == 16 and 3712 not in codes and codes[0] == 3701


def test_cells_cover_every_county_and_scale_with_subscribers():
    small = build_geography(np.random.default_rng(0), 10_000)
    big = build_geography(np.random.default_rng(0), 500_000)
    assert (small.cell_count >= MIN_CELLS_PER_COUNTY).all()
    assert 4000 < big.n_cells < 6000  # about one per 100 subscribers
    assert len(np.unique(big.cell_id)) == big.n_cells
    assert set(big.cell_rat) == {0, 1}
    # Cells lie near their city: within ~1 degree of its centre.
    lat = np.array([c[2] for c in CITIES])[big.county_city[big.cell_county]]
    assert np.abs(big.cell_lat - lat).max() < 1.2
    assert all(
        code.startswith(str(CITIES[c][1]))
        for code, c in zip(big.county_code, big.county_city, strict=True)
    )
