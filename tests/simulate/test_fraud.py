"""Planted fraud callers stand out statistically, but not cleanly: look-alikes overlap."""

from __future__ import annotations

import numpy as np

from tests.simulate._frames import outbound_profile, table, truth


def test_fraud_callers_differ_from_normal_subscribers(province):
    prof = outbound_profile(province)
    fraud, normal = prof[prof.persona == "fraud"], prof[prof.persona == "normal"]
    assert len(fraud) >= 8
    assert fraud.distinct.median() > 4 * normal.distinct.median()
    assert fraud.answered.median() < normal.answered.median() - 0.3


def test_fraud_overlaps_with_lookalikes(province):
    prof = outbound_profile(province)
    fraud = prof[prof.persona == "fraud"]
    couriers = prof[prof.persona.isin(["courier", "delivery"])]
    sales = prof[prof.persona == "sales"]
    assert couriers.distinct.quantile(0.75) > fraud.distinct.quantile(0.25)
    # Low-and-slow fraud callers dial fewer numbers than the busiest 1% of legitimate
    # subscribers (couriers, call centres, sales lines and heavy normal users).
    legit = prof[prof.persona != "fraud"]
    assert fraud.distinct.min() < legit.distinct.quantile(0.99)
    assert sales.answered.median() < 0.6


def test_some_fraud_callers_send_phishing_sms(province):
    sms = table(province, "sms")
    sent = sms[sms.direction == "MO"].groupby("sender").size()
    personas = truth(province, "subscribers").set_index("subscriber_id").persona
    fraud_sent = sent.reindex(personas[personas == "fraud"].index, fill_value=0)
    normal_sent = sent.reindex(personas[personas == "normal"].index, fill_value=0)
    # Most send few, but some send more than nearly every normal subscriber.
    assert fraud_sent.median() < normal_sent.quantile(0.95)
    assert fraud_sent.max() > normal_sent.quantile(0.99)


def test_fraud_callers_get_few_callbacks(province):
    voice = table(province, "voice")
    mo = voice[voice.direction == "MO"]
    personas = truth(province, "subscribers").set_index("subscriber_id").persona

    def callback_rate(kind):
        who = set(personas[personas == kind].index)
        out = mo[mo.caller.isin(who)][["caller", "callee"]].drop_duplicates()
        back = mo[mo.callee.isin(who)][["caller", "callee"]].drop_duplicates()
        back.columns = ["callee", "caller"]
        return len(out.merge(back)) / len(out)

    assert callback_rate("fraud") < 0.1
    assert callback_rate("courier") > 2 * callback_rate("fraud")


def test_fraud_numbers_recent_or_silent(province):
    fn = truth(province, "fraud_numbers")
    subs = table(province, "subscribers").set_index("subscriber_id")
    start = np.datetime64("2026-11-02")
    age_days = (start - subs.activation_date.astype("datetime64[ns]")).dt.days
    fraud_age = age_days[fn.subscriber_id]
    assert (fraud_age < 60).mean() > 0.3  # recently activated
    assert (fraud_age > 80).any()  # some old silent SIMs that woke up
    assert fraud_age.median() < age_days.median()
    assert fn.broker_id_card_id.notna().mean() > 0.5  # most came from brokers


def test_victims_older_and_answered_fraud_calls(province):
    victims = truth(province, "victims")
    subs = table(province, "subscribers").set_index("subscriber_id")
    assert len(victims) >= 5
    assert subs.age[victims.subscriber_id].mean() > subs.age.mean() + 5
    assert (victims.longest_call_s > 0).all()
    voice = table(province, "voice")
    answered = voice[(voice.duration_s > 0)]
    pairs = set(zip(answered.caller, answered.callee, strict=True))
    seen = [
        (f, v) in pairs or (v, f) in pairs
        for v, f in zip(victims.subscriber_id, victims.fraud_subscriber_id, strict=True)
    ]
    assert np.mean(seen) > 0.9  # all answered; a lost record may hide one


def test_most_fraud_targets_are_not_victims(province):
    fn = set(truth(province, "fraud_numbers").subscriber_id)
    voice = table(province, "voice")
    targets = voice[voice.caller.isin(fn) & (voice.direction == "MO")].callee.nunique()
    assert len(truth(province, "victims")) < 0.1 * targets


def _best_f1(score: np.ndarray, label: np.ndarray) -> float:
    order = np.argsort(-score, kind="stable")
    tp = np.cumsum(label[order])
    k = np.arange(1, len(label) + 1)
    precision, recall = tp / k, tp / label.sum()
    return float(np.max(2 * precision * recall / np.maximum(precision + recall, 1e-12)))


def test_no_simple_rule_on_the_usage_profile_finds_all_fraud(tmp_path_factory):
    """The generator must stay honest: hand rules on calling behaviour alone fall short.

    On the demo-sized province (80 fraud callers), so one caller more or less does not
    decide the outcome.
    """
    from telcolens import engine as engines
    from telcolens.profile import usage_profile
    from telcolens.simulate import generate_province

    data = tmp_path_factory.mktemp("honest") / "p"
    generate_province(data, subscribers=20_000, days=3, seed=7, progress=False)
    prof = usage_profile(engines.tables(engines.connect("duckdb"), data)).to_pandas()
    prof = prof.merge(truth(data, "subscribers"), on="subscriber_id").fillna(0)
    label = prof.is_fraud.to_numpy()
    rules = {
        "distinct callees": prof.distinct_callees,
        "x short calls": prof.distinct_callees * prof.short_call_share,
        "/ SMS sent": prof.distinct_callees * prof.short_call_share / (1 + prof.sms_out),
    }
    for name, score in rules.items():
        # Even at its best cut-off, chosen with the truth in hand.
        assert _best_f1(score.to_numpy(float), label) < 0.9, name
