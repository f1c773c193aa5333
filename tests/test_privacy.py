import logging

import pyarrow as pa
import pytest

from telcolens.privacy import install_log_masking, mask, normalise, pseudonymise, pseudonymise_many

KEY = "a-test-key-of-enough-length"


def test_formatting_does_not_change_the_pseudonym():
    base = pseudonymise("13812345678", key=KEY)
    for variant in ("+86 138-1234-5678", "008613812345678", "8613812345678", " 138 1234 5678 "):
        assert pseudonymise(variant, key=KEY) == base


def test_pseudonym_depends_on_key_and_kind():
    a = pseudonymise("13812345678", key=KEY)
    assert a != pseudonymise("13812345678", key=KEY + "x")
    assert a != pseudonymise("13812345678", "imei", key=KEY)
    assert a != pseudonymise("13812345679", key=KEY)


def test_id_cards_are_case_insensitive():
    assert normalise("37010219800101123x", "id_card") == "37010219800101123X"
    assert pseudonymise("37010219800101123x", "id_card", key=KEY) == pseudonymise(
        "37010219800101123X", "id_card", key=KEY
    )


def test_pseudonymise_many_matches_one_by_one_and_keeps_nulls():
    values = pa.array(["13812345678", None, "13912345678", "13812345678"])
    got = pseudonymise_many(values, key=KEY).to_pylist()
    assert got[0] == got[3] == pseudonymise("13812345678", key=KEY)
    assert got[1] is None
    assert got[2] == pseudonymise("13912345678", key=KEY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call from 13812345678 ok", "call from 138******78 ok"),
        ("id 370102198001011234", "id 370*************34"),
        ("+86 138-1234-5678", "+86************78"),
        ("only 12345 here", "only 12345 here"),
    ],
)
def test_mask(text, expected):
    assert mask(text) == expected


def test_log_records_are_masked(caplog):
    logger = logging.getLogger("telcolens.test.masking")
    install_log_masking(logger)
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("suspicious caller %s", "13812345678")
    assert "13812345678" not in caplog.text
    assert "138******78" in caplog.text


def test_log_tracebacks_are_masked(caplog):
    logger = logging.getLogger("telcolens.test.masking")
    install_log_masking(logger)
    with caplog.at_level(logging.INFO, logger=logger.name):
        try:
            int("caller 13812345678")
        except ValueError:
            logger.exception("parsing failed")
    assert "Traceback" in caplog.text and "ValueError" in caplog.text
    assert "13812345678" not in caplog.text
    assert "138******78" in caplog.text
