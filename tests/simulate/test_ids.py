"""Raw identifiers look real and hash exactly as ingest would."""

from __future__ import annotations

import numpy as np

from telcolens.privacy import pseudonymise
from telcolens.simulate import _ids


def test_pseudonyms_match_privacy_module():
    rng = np.random.default_rng(0)
    numbers = _ids.mobile_numbers(rng, 50)
    cards = _ids.id_cards(rng, np.array(["370102"] * 5), np.array([1950] * 5))
    imeis, _ = _ids.imeis(rng, 5)
    for raw, kind in ((numbers, "number"), (cards, "id_card"), (imeis, "imei")):
        expected = [pseudonymise(v.decode(), kind) for v in raw]
        assert _ids.pseudonyms(raw, kind).tolist() == expected


def test_numbers_are_distinct_mobile_numbers():
    raw = _ids.mobile_numbers(np.random.default_rng(1), 20_000)
    assert len(set(raw.tolist())) == 20_000
    assert all(len(v) == 11 and v[:1] == b"1" and v[1:2] in b"3589" for v in raw[:500])


def test_id_card_check_digit_and_imei_luhn():
    rng = np.random.default_rng(2)
    for card in _ids.id_cards(rng, np.array(["371301"] * 20), rng.integers(1940, 2005, 20)):
        digits = [int(c) for c in card[:17].decode()]
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        assert (
            "10X98765432"[sum(d * w for d, w in zip(digits, weights, strict=True)) % 11]
            == card.decode()[17]
        )
    imeis, tacs = _ids.imeis(rng, 200)
    assert len(set(imeis.tolist())) == 200
    for imei, tac in zip(imeis, tacs, strict=True):
        d = [int(c) for c in imei.decode()]
        total = sum(d[0::2]) + sum(sum(divmod(2 * x, 10)) for x in d[1::2])
        assert total % 10 == 0 and imei.decode().startswith(tac)
