"""Path and query parameter types shared by the routers, bounded to what the store holds.

An id beyond the store's 32-bit keys or a pseudonym beyond a 64-bit integer is a 422,
never an overflow in the database (PostgreSQL's ``integer`` stops at 2**31 - 1); a
date is ``YYYY-MM-DD`` only (pydantic alone would read ``day=0`` as 1970-01-01); a
text holds no NUL character, which PostgreSQL refuses in text columns and even in a
comparison (a 422 at the door, never a 500 from the store).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator

INT32_MAX = 2**31 - 1  # the store's ids are INTEGER columns
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
MAX_PAGE = 1_000_000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The pattern of every free text a request carries (bodies and queries).
NO_NUL = r"^[^\x00]*$"


def _iso_date(value: object) -> object:
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("a date as YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("a date as YYYY-MM-DD, not a number")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Id = Annotated[int, Path(ge=1, le=INT32_MAX, description="The object's id.")]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=500, description="Rows per page.")]
PseudonymQuery = Annotated[
    int | None, Query(ge=INT64_MIN, le=INT64_MAX, description="One number's pseudonym.")
]
