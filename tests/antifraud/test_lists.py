"""Whitelist and reinstatement records."""

import pytest

from telcolens.antifraud import lists
from telcolens.privacy import pseudonymise


def test_whitelist_add_pseudonymises_and_reads_back(tmp_path):
    path = tmp_path / "wl.csv"
    sid = lists.add_to_whitelist(path, "+86 138-1234-5678", "courier", "SF Express", "li")
    assert sid == pseudonymise("13812345678")
    assert "13812345678" not in path.read_text()  # never stored raw
    wl = lists.read_whitelist(path)
    assert wl.subscriber_id.tolist() == [sid]
    assert wl.category.tolist() == ["courier"]
    with pytest.raises(lists.ListError, match="already on the whitelist"):
        lists.add_to_whitelist(path, "13812345678", "courier", "", "li")


def test_whitelist_of_raw_numbers_is_pseudonymised_on_read(tmp_path):
    path = tmp_path / "wl.csv"
    path.write_text("number,category\n13900001111,delivery\n")
    assert lists.read_whitelist(path).subscriber_id.tolist() == [pseudonymise("13900001111")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("number,category\n13900001111,bakery\n", "row 2, column category: 'bakery'"),
        ("number,category\nabc,courier\n", "row 2, column number: not a phone number"),
        ("subscriber_id,category\n12x,courier\n", "row 2, column subscriber_id"),
        ("category\ncourier\n", "needs a 'number' or 'subscriber_id' column"),
    ],
)
def test_bad_whitelists_name_row_and_column(tmp_path, text, message):
    path = tmp_path / "wl.csv"
    path.write_text(text)
    with pytest.raises(lists.ListError, match=message):
        lists.read_whitelist(path)


def test_reinstatement_needs_a_reason_and_is_recorded(tmp_path):
    path = tmp_path / "re.csv"
    with pytest.raises(lists.ListError, match="needs a reason"):
        lists.reinstate(path, 42, "  ", "wang")
    lists.reinstate(path, 42, "courier, verified by phone", "wang")
    r = lists.read_reinstatements(path)
    assert r.subscriber_id.tolist() == [42]
    assert r.analyst.tolist() == ["wang"]
    assert r.reinstated_at.str.len().iloc[0] > 0
