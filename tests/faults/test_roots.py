"""Burst openers: who is first on a device, same-second ties, and re-orienting kept edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telcolens.faults import CauseLearner
from telcolens.faults._events import make_events
from telcolens.faults._roots import burst_openers, orient_by_openers
from tests.faults.test_causes import CHAIN_AND_FORK, PACES, cascade, edge_set


def test_an_alarm_opens_a_burst_when_nothing_on_its_device_came_shortly_before():
    rows = [
        (0, 0, 0),  # first on device 0: opens
        (1, 0, 5),  # 5 s after type 0 on the same device: inside the burst
        (0, 0, 100),  # 95 s after the last alarm: opens
        (1, 0, 100),  # same second as type 0: cannot be ordered, so opens too
        (1, 1, 3),  # device 1 is not device 0: opens
    ]
    alarms = pd.DataFrame(rows, columns=["alarm_id", "device_id", "start_timestamp"])
    events = make_events(alarms, n_types=3, n_devices=2)
    assert burst_openers(events, 10.0) == pytest.approx([1.0, 2 / 3, 0.0])
    # With a window reaching back 100 s the second burst is part of the first.
    assert burst_openers(events, 100.0) == pytest.approx([0.5, 1 / 3, 0.0])


def test_kept_pairs_point_from_the_more_frequent_opener_and_ties_keep_their_direction():
    kept = np.zeros((3, 3), dtype=bool)
    kept[0, 1] = kept[1, 2] = True
    turned = orient_by_openers(kept, np.array([0.2, 0.8, 0.8]))
    assert {tuple(map(int, e)) for e in np.argwhere(turned)} == {(1, 0), (1, 2)}


def test_burst_orientation_recovers_a_planted_chain_and_fork():
    learner = CauseLearner(orient="bursts", decays=PACES).fit(cascade(CHAIN_AND_FORK, n_types=7))
    assert edge_set(learner.edges_) == set(CHAIN_AND_FORK)
    assert (learner.edges_["strength"] > 0).all()
    roots, effects = learner.openers_[[0, 3]], learner.openers_[[2, 4, 5]]
    assert roots.min() > effects.max()


def test_an_unknown_orientation_is_refused():
    with pytest.raises(ValueError, match="orient must be one of"):
        CauseLearner(orient="sideways").fit(cascade(CHAIN_AND_FORK, n_types=7))
