"""Victim warning: contacts of flagged numbers ranked by risk points."""

import pandas as pd

from telcolens.antifraud.victims import WARN_POINTS, warning_list


def contacts(**cols):
    base = {
        "victim": [1],
        "fraud": [9],
        "first_contact": [pd.Timestamp("2026-11-02 10:00")],
        "last_contact": [pd.Timestamp("2026-11-02 10:00")],
        "contacts": [1],
        "answered": [1],
        "longest_call_s": [30],
        "callbacks": [0],
        "age": [40],
    }
    base.update({k: [v] for k, v in cols.items()})
    df = pd.DataFrame(base)
    long_pts = 3 if df.longest_call_s[0] >= 300 else 2 if df.longest_call_s[0] >= 60 else 1
    rep = 2 if df.contacts[0] >= 3 else 1 if df.contacts[0] == 2 else 0
    df["points"] = long_pts + rep + 2 * (df.callbacks[0] > 0) + (df.age[0] >= 60)
    return df


def test_a_long_call_to_an_old_person_is_warned_with_reasons():
    # Ages come back as floats when some are unknown; the reason still says "aged 72".
    w = warning_list(contacts(longest_call_s=1200, age=72.0, contacts=2))
    assert len(w) == 1
    row = w.iloc[0]
    assert row.fraud_number == 9 and row.subscriber_id == 1
    assert "20-min call" in row.reasons and row.reasons.endswith("aged 72")
    assert "contacted 2 times" in row.reasons
    assert 0 < row.risk <= 1


def test_a_brief_answered_call_is_not_a_warning():
    assert contacts(longest_call_s=20).points[0] < WARN_POINTS
    assert warning_list(contacts(longest_call_s=20)).empty


def test_riskiest_first():
    both = pd.concat(
        [contacts(longest_call_s=400), contacts(victim=2, longest_call_s=400, callbacks=1)]
    )
    assert warning_list(both).subscriber_id.tolist() == [2, 1]
