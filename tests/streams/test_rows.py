"""The consumer's pseudonyms are ingest's, whatever it remembers or forgets between batches."""

from __future__ import annotations

import pyarrow as pa

from telcolens.privacy import pseudonymise_many
from telcolens.streams._rows import Pseudonymiser


def test_remembered_pseudonyms_equal_freshly_computed_ones():
    batches = [
        ["13800138000", "+86 138 0013 8000", None, "13900139000"],
        ["13900139000", "13700137000", "13800138000"],
        ["13600136000", "13500135000", "13700137000", "13400134000"],
    ]
    small = Pseudonymiser(max_size=3)  # forgets everything on the third batch
    roomy = Pseudonymiser()
    for values in batches:
        arr = pa.array(values, pa.string())
        want = pseudonymise_many(arr, "number")
        assert small.column(arr, "number").equals(want)
        assert roomy.column(arr, "number").equals(want)
    assert len(small._known["number"]) <= 4
    # The kind separates domains: the same digits as an IMEI hash differently.
    imei = Pseudonymiser().column(pa.array(["13800138000"]), "imei")
    assert imei.to_pylist() != pseudonymise_many(pa.array(["13800138000"]), "number").to_pylist()
