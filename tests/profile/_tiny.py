"""A hand-made province of three subscribers whose profile is worked out by hand."""

from datetime import date, datetime

import pyarrow as pa

from telcolens.dataset import write_part
from telcolens.schema import CELLS, DATA_SESSIONS, LOCATION_EVENTS, SMS, SUBSCRIBERS, VOICE

A, B, C, OFFNET = 101, 102, 103, 999


def rows(spec, **columns):
    return pa.table(columns, schema=spec.arrow_schema())


def make_tiny_province(tmp_path):
    d = datetime
    write_part(
        tmp_path,
        SUBSCRIBERS,
        rows(
            SUBSCRIBERS,
            subscriber_id=[A, B, C],
            id_card_id=[1, 2, 3],
            age=[30, 70, None],
            city=["Jinan"] * 3,
            county=["370102"] * 3,
            activation_date=[date(2020, 1, 1)] * 3,
            sales_outlet=["O1"] * 3,
            plan=["P"] * 3,
            customer_type=["individual"] * 3,
        ),
        "p0",
    )
    write_part(
        tmp_path,
        CELLS,
        rows(
            CELLS,
            cell_id=[1, 2, 3],
            site_id=[1, 1, 2],
            lat=[36.6, 36.6, 36.0],
            lon=[117.0, 117.0, 120.3],
            city=["Jinan", "Jinan", "Qingdao"],
            county=["370102", "370102", "370202"],
            rat=["4G", "5G", "5G"],
        ),
        "p0",
    )
    # A calls B (answered 60 s, on-net: MO + MT legs), A calls OFFNET at 23:30 for 5 s,
    # A calls B again unanswered; OFFNET calls C (MT only).
    write_part(
        tmp_path,
        VOICE,
        rows(
            VOICE,
            caller=[A, A, A, A, A, OFFNET],
            callee=[B, B, OFFNET, B, B, C],
            start_time=[
                d(2026, 11, 2, 9),
                d(2026, 11, 2, 9),
                d(2026, 11, 2, 23, 30),
                d(2026, 11, 3, 10),
                d(2026, 11, 3, 10),
                d(2026, 11, 3, 12),
            ],
            duration_s=[60, 60, 5, 0, 0, 120],
            direction=["MO", "MT", "MO", "MO", "MT", "MT"],
            cell_id=[1, 3, 2, None, 3, 1],
            imei_id=[None] * 6,
        ),
        "p0",
    )
    write_part(
        tmp_path,
        SMS,
        rows(
            SMS,
            sender=[B, B, B],
            recipient=[A, A, OFFNET],
            send_time=[d(2026, 11, 2, 8)] * 3,
            direction=["MO", "MT", "MO"],
            cell_id=[3, 1, 3],
        ),
        "p0",
    )
    write_part(
        tmp_path,
        DATA_SESSIONS,
        rows(
            DATA_SESSIONS,
            subscriber_id=[C, C],
            start_time=[d(2026, 11, 4, 1)] * 2,
            duration_s=[10, 20],
            app=["video", "web"],
            bytes_up=[10, 20],
            bytes_down=[1000, 2000],
            cell_id=[1, 1],
        ),
        "p0",
    )
    write_part(
        tmp_path,
        LOCATION_EVENTS,
        rows(
            LOCATION_EVENTS,
            subscriber_id=[A],
            event_time=[d(2026, 11, 4, 7)],
            cell_id=[3],
            event_type=["periodic_update"],
        ),
        "p0",
    )
    return tmp_path
