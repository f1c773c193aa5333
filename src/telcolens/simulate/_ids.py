"""Realistic raw identifiers (numbers, ID cards, IMEIs) and their pseudonyms, vectorised.

Raw values are built as fixed-width ASCII digit matrices, so millions cost
milliseconds; they are then hashed exactly as :func:`telcolens.privacy.pseudonymise`
does (a test checks that), so a raw CSV of the same numbers ingested later maps
to the same ids.
"""

from __future__ import annotations

import numpy as np

from telcolens.privacy import IdentifierKind, pseudonymise_normalised

# China's mobile number blocks (all operators; ours and other networks draw from the same).
MOBILE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        134,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        180,
        181,
        182,
        183,
        184,
        185,
        186,
        187,
        188,
        189,
        191,
        193,
        195,
        198,
        199,
    ],
)
# Type Allocation Codes of common handset models (brand, model) and their shares.
TACS = np.array(
    [
        "86769504",
        "86801804",
        "86425605",
        "35391811",
        "35676211",
        "86690105",
        "86413404",
        "86887606",
        "35467011",
        "86062105",
    ]
)
TAC_SHARE = np.array([0.14, 0.12, 0.1, 0.12, 0.1, 0.1, 0.09, 0.09, 0.07, 0.07])
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def pseudonyms(raw: np.ndarray, kind: IdentifierKind) -> np.ndarray:
    """int64 pseudonyms of normalised raw identifiers (a bytes ``S`` array)."""
    return pseudonymise_normalised(raw.tolist(), kind)


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 11-digit mobile numbers (``S11``), in random order."""
    found = np.empty(0, dtype=np.int64)
    while len(found) < n:
        extra = int((n - len(found)) * 1.05) + 16
        prefix = rng.choice(MOBILE_PREFIXES, extra)
        found = np.unique(np.concatenate([found, prefix * 10**8 + rng.integers(0, 10**8, extra)]))
    return rng.permutation(found)[:n].astype("S11")


def id_cards(
    rng: np.random.Generator, county_code: np.ndarray, birth_year: np.ndarray
) -> np.ndarray:
    """18-character resident ID numbers: region, birth date, sequence, ISO 7064 check."""
    n = len(county_code)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    body = np.char.add(
        county_code.astype("S6"), (birth_year * 10**4 + month * 100 + day).astype("S8")
    )
    body = np.char.add(body, np.char.zfill(rng.integers(0, 1000, n).astype("S3"), 3))
    digits = body.view(np.uint8).reshape(n, 17) - ord("0")
    check = _ID_CHECK[(digits.astype(np.int64) @ _ID_WEIGHTS) % 11]
    return np.char.add(body, check.view("S1"))


def company_codes(rng: np.random.Generator, county_code: np.ndarray) -> np.ndarray:
    """18-character unified social credit codes of companies (registered like ID cards)."""
    n = len(county_code)
    tail = rng.integers(10**9, 10**10, n).astype("S10")
    return np.char.add(np.char.add(b"91", county_code.astype("S6")), tail)


def imeis(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 15-digit IMEIs (TAC + serial + Luhn digit) and their TACs."""
    found = np.empty(0, dtype=np.int64)
    while len(found) < n:  # distinct (TAC, serial) pairs
        extra = int((n - len(found)) * 1.1) + 16
        key = rng.choice(len(TACS), extra, p=TAC_SHARE) * 10**6 + rng.integers(0, 10**6, extra)
        found = np.unique(np.concatenate([found, key]))
    found = rng.permutation(found)[:n]
    tac = TACS[found // 10**6].astype("S8")
    serial = np.char.zfill((found % 10**6).astype("S6"), 6)
    body = np.char.add(tac, serial)
    d = body.view(np.uint8).reshape(n, 14).astype(np.int64) - ord("0")
    doubled = d[:, 1::2] * 2
    total = d[:, 0::2].sum(1) + (doubled // 10 + doubled % 10).sum(1)
    check = ((10 - total % 10) % 10 + ord("0")).astype(np.uint8)
    return np.char.add(body, check.view("S1")), tac.astype(str)
