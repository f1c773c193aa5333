"""Subscribers and the devices (IMEIs) their SIMs were seen in."""

import pyarrow as pa

from telcolens.schema._table import DATE, TIMESTAMP, Column, Table, subscriber_column

SUBSCRIBERS = Table(
    name="subscribers",
    domain="subscribers",
    description="One row per mobile subscription (SIM / number) of the operator.",
    key=("subscriber_id",),
    columns=(
        subscriber_column("Pseudonym of the number (MSISDN)."),
        Column(
            "id_card_id",
            pa.int64(),
            "Pseudonym of the ID card the SIM is registered to.",
            pseudonym="id_card",
            source_name="id_card",
        ),
        Column(
            "age",
            pa.int32(),
            "Age of the registered holder in years.",
            nullable=True,
            minimum=0,
            maximum=120,
            unit="years",
        ),
        Column("city", pa.string(), "Prefecture-level city of the account (e.g. Jinan)."),
        Column("county", pa.string(), "County-level division code of the account."),
        Column("activation_date", DATE, "Day the SIM was activated."),
        Column("sales_outlet", pa.string(), "Code of the outlet that sold and activated it."),
        Column("plan", pa.string(), "Tariff plan code."),
        Column(
            "customer_type",
            pa.string(),
            "Who holds the account.",
            allowed=("individual", "business"),
        ),
    ),
)

DEVICES = Table(
    name="devices",
    domain="subscribers",
    description="SIM-in-device observations: which IMEI a number was seen in, and when.",
    key=("subscriber_id", "imei_id"),
    columns=(
        subscriber_column(),
        Column(
            "imei_id",
            pa.int64(),
            "Pseudonym of the device's IMEI.",
            pseudonym="imei",
            source_name="imei",
        ),
        Column(
            "tac",
            pa.string(),
            "Type Allocation Code (first 8 IMEI digits: the model).",
            nullable=True,
        ),
        Column("first_seen", TIMESTAMP, "First time the SIM was seen in this device."),
        Column("last_seen", TIMESTAMP, "Last time the SIM was seen in this device."),
    ),
)
