"""The body of ``POST /api/faults/ves`` as a model: documented, and checked before parsing.

The models accept no body that :func:`telcolens.faults.receivers.parse_ves` refuses, so a
body as documented is always stored, and one that is not is a 400. They are stricter
than the parser in a few places (severities in upper case as VES 7 spells them, a
single ``event`` with nothing beside it), never looser.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from telcolens.faults.receivers.ves import EPOCH_US_RANGE

Epoch = Annotated[
    float,
    Field(
        strict=True,  # JSON true is not a time
        ge=EPOCH_US_RANGE[0],
        le=EPOCH_US_RANGE[1],
        description="Microseconds since 1970 (2000-2200).",
    ),
]
Name = Annotated[str, Field(pattern=r"\S", description="Not blank.")]
_NAMED = {
    "anyOf": [
        {"required": [key], "properties": {key: {"type": "string", "pattern": r"\S"}}}
        for key in ("sourceName", "reportingEntityName")
    ]
}


class Header(BaseModel):
    """``commonEventHeader``: a fault, from a named network element, at a time."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_NAMED)
    domain: Literal["fault"]
    sourceName: Name | None = Field(None, description="The network element (ne_id).")
    reportingEntityName: Name | None = Field(None, description="Without sourceName: the ne_id.")
    startEpochMicrosec: Epoch
    lastEpochMicrosec: Epoch | None = None

    @model_validator(mode="after")
    def _named(self) -> Header:
        if self.sourceName is None and self.reportingEntityName is None:
            raise ValueError("sourceName or reportingEntityName is required")
        return self


class ClearHeader(Header):
    lastEpochMicrosec: Epoch = Field(description="When the alarm cleared.")


class Fault(BaseModel):
    """``faultFields`` of an alarm raised."""

    model_config = ConfigDict(extra="allow")
    eventSeverity: Literal["CRITICAL", "MAJOR", "MINOR", "WARNING"]
    alarmCondition: str = Field(
        pattern="[0-9A-Za-z]", description="The alarm type (upper-cased, '_' between words)."
    )
    specificProblem: str | None = None


class ClearFault(Fault):
    """``faultFields`` of a clear (severity NORMAL)."""

    eventSeverity: Literal["NORMAL"]  # type: ignore[assignment]


class Raise(BaseModel):
    model_config = ConfigDict(extra="allow")
    commonEventHeader: Header
    faultFields: Fault


class Clear(BaseModel):
    model_config = ConfigDict(extra="allow")
    commonEventHeader: ClearHeader
    faultFields: ClearFault


Event = Raise | Clear


class Batch(BaseModel):
    model_config = ConfigDict(extra="allow")
    eventList: list[Event] = Field(min_length=1)


class Single(BaseModel):
    model_config = ConfigDict(extra="forbid")  # beside an eventList, the list is what counts
    event: Event


BODY = TypeAdapter(Batch | Single)


def check(body: bytes) -> str | None:
    """Why ``body`` is not a VES fault request as documented, or None."""
    try:
        BODY.validate_json(body)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        return where or str(exc)
    return None


def request_body() -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of the endpoint, its schema self-contained."""
    schema = BODY.json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {"required": True, "content": {"application/json": {"schema": inline(schema)}}}
