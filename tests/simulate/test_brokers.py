"""Card brokers hold many SIMs per ID card; so do some legitimate business accounts."""

from __future__ import annotations

from tests.simulate._frames import table, truth


def test_broker_cards_hold_many_sims_as_do_business_accounts(province):
    subs = table(province, "subscribers")
    per_card = subs.groupby("id_card_id").size()
    brokers = truth(province, "card_brokers")
    cards = brokers[brokers.kind == "id_card"].id_card_id.astype("int64")
    assert len(cards) >= 1
    assert (per_card[cards] > 5).all()
    biz = subs[subs.customer_type == "business"].groupby("id_card_id").size()
    assert (biz > 5).sum() >= 2  # legitimate look-alikes (call centres, business accounts)
    families = truth(province, "lookalikes").query("kind == 'family_card'")
    fam_cards = subs.set_index("subscriber_id").id_card_id[families.subscriber_id]
    assert per_card[fam_cards.unique()].between(2, 5).all()


def test_broker_sims_activated_in_batches_at_complicit_outlets(province):
    subs = table(province, "subscribers")
    brokers = truth(province, "card_brokers")
    card = brokers[brokers.kind == "id_card"].id_card_id.astype("int64").iloc[0]
    outlet = brokers[(brokers.kind == "outlet") & (brokers.broker == 0)].sales_outlet.iloc[0]
    sims = subs[subs.id_card_id == card]
    assert (sims.sales_outlet == outlet).mean() > 0.6
    assert sims.activation_date.value_counts().iloc[0] >= 0.5 * len(sims)


def test_broker_sims_share_devices(province):
    devices = table(province, "devices")
    brokers = truth(province, "card_brokers")
    imeis = set(brokers[brokers.kind == "device"].imei_id.astype("int64"))
    shared = devices[devices.imei_id.isin(imeis)].groupby("imei_id").subscriber_id.nunique()
    assert (shared >= 2).any()
    # Refurbished phones also carried several SIMs, one after another.
    refurb = set(truth(province, "lookalikes").query("kind == 'refurb_device'").subscriber_id)
    per_imei = devices[devices.subscriber_id.isin(refurb)].groupby("imei_id").size()
    assert (per_imei >= 3).any()
