"""The Bulk Data collector's HTTP side: ``POST /api/broadband/bulkdata`` and its counts.

The answers (401, 403, 413, 415, 400, 200, 503) and the writing behind them are described
in :mod:`telcolens.broadband.collector`; this module reads the request (credential, query,
size, encoding) and hands the body to the app's :class:`~.collector.BulkDataCollector`
(:func:`install` puts one on the app when a data directory is configured).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import os
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from telcolens.api.deps import StoreRoute, allow
from telcolens.broadband.bulkdata import (
    CST,
    BulkDataError,
)
from telcolens.broadband.collector import (
    BulkDataCollector,
    TooLarge,
    Unsupported,
    WrongGateway,
)
from telcolens.broadband.gateways import Gateway

ENGINEERS = ("broadband_engineer",)
REALM = 'Basic realm="telcolens bulk data", charset="UTF-8"'


class BulkDataAnswer(BaseModel):
    accepted: int = Field(description="Reports stored by this request.")
    duplicates: int = Field(description="Reports ignored: their line and time are stored already.")
    refused: int = Field(description="Reports refused whole (see reasons); nothing of them stored.")
    reasons: list[str] = Field(description="Why each refused report was refused (at most 20).")


class CollectorStats(BaseModel):
    """The collector's counts since it started (see ``CollectorCounters``)."""

    requests: int
    unauthenticated: int
    forbidden: int
    too_large: int
    unsupported: int
    malformed: int
    write_failures: int
    reports: int
    accepted: int
    duplicates: int
    refused: int
    failed: int
    parts: int
    gateways: int = Field(description="Gateways with a credential.")


def _collector(request: Request) -> BulkDataCollector:
    collector = getattr(request.app.state, "bulkdata", None)
    if collector is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "no Bulk Data collector configured: set TELCOLENS_BROADBAND_DATA_DIR",
        )
    return collector


async def authenticated_gateway(request: Request) -> Gateway:
    """The gateway whose HTTP Basic credential the request carries; 401 otherwise."""
    credentials = _basic(request.headers.get("authorization", ""))
    if credentials is None and getattr(request.app.state, "bulkdata", None) is None:
        # Authentication comes first: without a credential, 401 even while unconfigured.
        raise _unauthenticated()
    collector = _collector(request)
    collector.count(requests=1)
    gateway = None
    if credentials is not None:
        gateway = collector.gateways.remembered(*credentials) or await anyio.to_thread.run_sync(
            collector.gateways.authenticate, *credentials, limiter=collector.auth_limiter
        )
    if gateway is None:
        collector.count(unauthenticated=1)
        raise _unauthenticated()
    request.state.user = f"gateway:{gateway.username}"  # for the access log
    return gateway


# Marks the route as authenticated by a gateway's own credential, not a user's role.
authenticated_gateway.__gateway__ = True  # type: ignore[attr-defined]


def _unauthenticated() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "this gateway's Bulk Data credential is missing or wrong",
        headers={"WWW-Authenticate": REALM},
    )


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


router = APIRouter(prefix="/api/broadband", tags=["broadband"], route_class=StoreRoute)

REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["Report"],
                "properties": {"Report": {"type": "array", "items": {"type": "object"}}},
            },
            "example": {
                "Report": [
                    {
                        "CollectionTime": 1764000000,
                        "Device.DeviceInfo.SerialNumber": "ZTEG12345678",
                        "Device.Optical.Interface.1.OpticalSignalLevel": -21500,
                    }
                ]
            },
        }
    },
}


@router.post(
    "/bulkdata",
    response_model=BulkDataAnswer,
    openapi_extra={"requestBody": REQUEST_BODY, "security": [{"gateway": []}]},
    responses={413: {"description": "The body is too large."}, 415: {"description": "Not JSON."}},
)
async def bulkdata(
    request: Request, gateway: Annotated[Gateway, Depends(authenticated_gateway)]
) -> BulkDataAnswer:
    """A gateway's TR-181 Bulk Data report (JSON, ObjectHierarchy or NameValuePair).

    The stored reports are on disk when this answers.
    """
    collector = _collector(request)
    _check_query(request, gateway, collector)
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json":
        collector.count(unsupported=1)
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send application/json")
    body = await _read_body(request, collector)
    try:
        outcome = await anyio.to_thread.run_sync(
            lambda: collector.receive(
                gateway,
                body,
                content_encoding=request.headers.get("content-encoding"),
                report_format=request.headers.get("bbf-report-format"),
                sent_at=_date_header(request.headers.get("date")),
            ),
            limiter=collector.limiter,
        )
    except TooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from None
    except Unsupported as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    except WrongGateway as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except BulkDataError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not a Bulk Data report: {exc}") from None
    reasons = [str(r) for r in outcome.refused[:20]]
    if outcome.refused and not (outcome.accepted or outcome.duplicates):
        detail = f"{len(outcome.refused)} report(s) refused, none stored: " + "; ".join(reasons)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail)
    return BulkDataAnswer(
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        refused=len(outcome.refused),
        reasons=reasons,
    )


@router.get("/bulkdata/stats", response_model=CollectorStats, dependencies=[allow(*ENGINEERS)])
async def bulkdata_stats(request: Request) -> CollectorStats:
    """What the collector received since it started: requests, reports and what became of them."""
    collector = _collector(request)
    return CollectorStats(**collector.stats(), gateways=len(collector.gateways))


def _check_query(request: Request, gateway: Gateway, collector: BulkDataCollector) -> None:
    """``sn`` and ``line_id`` in the URL (``HTTP.RequestURIParameter``) must be the gateway's."""
    sn, line = request.query_params.get("sn"), request.query_params.get("line_id")
    wrong = (
        sn is not None and gateway.serial_number is not None and sn != gateway.serial_number
    ) or (line is not None and line != str(gateway.line_id))
    if wrong:
        collector.count(forbidden=1)
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"gateway {gateway.username} does not report for that line"
        )


async def _read_body(request: Request, collector: BulkDataCollector) -> bytes:
    limit = collector.max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        collector.count(too_large=1)
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a sender that lied about its length, or sent none
            collector.count(too_large=1)
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _date_header(value: str | None) -> dt.datetime | None:
    """The request's ``Date`` as naive China Standard Time, if it is a real one."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None or when.year < 2000:
        return None
    return when.astimezone(CST).replace(tzinfo=None)


def install(app: Any, data_dir: str | os.PathLike[str] | None = None, **options: Any) -> None:
    """The app hook: a collector appending to ``data_dir`` (None: the endpoint answers 503)."""
    app.state.bulkdata = BulkDataCollector(data_dir, **options) if data_dir else None
