"""The visited-places API: a subscriber's own cities with a one-time code; agents' lookups.

Subscriber routes (no console login: a request carrying one is refused with 403, so an
agent's lookup is always audited under the agent's name):

- ``POST /api/itinerary/codes {number}``: texts a code to the number (202, the same
  answer for every number, known or not); 429 with ``Retry-After`` past the limits.
- ``POST /api/itinerary/query {number, code}``: the number's cities (number masked),
  using the code up; 401 for a wrong, expired or dead code, 409 for one used already
  (the loser of two racing queries gets it), 429 past the address's share.

Agent routes (role ``itinerary_agent``): ``POST /agent/query`` with the subscriber's code
(a wrong one is a 403 here: the agent is logged in, the code does not admit the lookup),
``POST /agent/override`` with a reason, and ``GET /cities``, the subscribers per city.

Every lookup, and every refused code, is a row of the audit log holding the number's
pseudonym and its masked form, never the number. The rules are :mod:`.otp`'s. Each
route answers 503 while ``TELCOLENS_ITINERARY_INDEX`` is unset or holds no index; the
index is opened again when its file is replaced (checked at most once a second).
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from telcolens.api.deps import CurrentUser, SessionDep, StoreRoute, allow, in_unit, request_token
from telcolens.errors import BadInput, Unavailable
from telcolens.itinerary import otp, outbox
from telcolens.itinerary.index import INDEX_FILE, Answer, LatestIndex, VisitIndex
from telcolens.privacy import mask, normalise, pseudonymise
from telcolens.settings import get_settings
from telcolens.store.audit import record

AGENTS = ("itinerary_agent",)
SUBSCRIBER = "subscriber"  # the audit log's actor for a subscriber's own query
MIN_REASON = 10
RECHECK_S = 1.0  # how often the index file is looked at for a new build
PRUNE_EVERY = 500  # codes issued between two prunes of the counters and old codes

router = APIRouter(prefix="/api/itinerary", tags=["itinerary"], route_class=StoreRoute)

Number = Annotated[
    str,
    StringConstraints(pattern=otp.NUMBER_PATTERN),
    Field(
        description="A mainland mobile number: 11 digits from 1, optionally after +86.",
        examples=["13812345678"],
    ),
]
Code = Annotated[
    str,
    StringConstraints(pattern=otp.CODE_PATTERN),
    Field(description="The 6-digit code texted to the number.", examples=["042917"]),
]
Reason = Annotated[
    str,
    StringConstraints(min_length=MIN_REASON, max_length=500, pattern=r"^[^\x00]*\S[^\x00]*$"),
    Field(description=f"Why the lookup needs no code (at least {MIN_REASON} characters)."),
]


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number


class CodeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number
    code: Code


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number
    reason: Reason


class CodeQueued(BaseModel):
    detail: str
    expires_in_s: int = Field(description="How long the code texted is valid.")


class WindowPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    as_of: dt.date = Field(description="The day the index was built for.")
    from_: dt.date = Field(alias="from", description="First day of the window.")
    to: dt.date = Field(description="Last day of the window.")
    min_stay_hours: float = Field(description="The shortest stay counted in a city.")


class CityVisitPublic(BaseModel):
    city: str
    first_day: dt.date
    last_day: dt.date


class ItineraryAnswer(BaseModel):
    """One number's cities over the window, earliest first seen first."""

    number: str = Field(description="The number, masked (138******78).")
    window: WindowPublic
    cities: list[CityVisitPublic]


class CityCount(BaseModel):
    city: str
    subscribers: int = Field(description="Subscribers with a stay there in the window.")


class CityTotals(BaseModel):
    """Subscribers per city over the window: counts only, nobody in particular."""

    window: WindowPublic
    cities: list[CityCount]


class IndexHolder:
    """The index the setting names (:class:`LatestIndex`), as 503s while there is none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: LatestIndex | None = None

    def get(self) -> VisitIndex:
        """The current index; :class:`Unavailable` while none is configured or built."""
        path = get_settings().itinerary_index
        if not path:
            raise Unavailable("no visited-places index configured: set TELCOLENS_ITINERARY_INDEX")
        latest = self._latest
        if latest is None or latest.path != Path(path):
            with self._lock:
                latest = self._latest = LatestIndex(Path(path), recheck_s=RECHECK_S)
        try:
            return latest.get()
        except BadInput:
            built = (Path(path) / INDEX_FILE).exists() or Path(path).is_file()
            if not built:
                raise Unavailable("the visited-places index is not built yet; try later") from None
            # Replaced or removed between the stat and the open.
            raise Unavailable("the visited-places index is being replaced; try again") from None


_HOLDER_LOCK = threading.Lock()
_ISSUED = itertools.count(1)


def holder(request: Request) -> IndexHolder:
    """The app's index holder (one per app, made on first use)."""
    state = request.app.state
    with _HOLDER_LOCK:
        if getattr(state, "itinerary_index", None) is None:
            state.itinerary_index = IndexHolder()
        return state.itinerary_index


def rules(request: Request) -> otp.Rules:
    """The app's limits: :data:`otp.RULES` unless ``app.state.itinerary_rules`` says others."""
    return getattr(request.app.state, "itinerary_rules", None) or otp.RULES


async def no_console_user(request: Request) -> None:
    """Refuse a console login on a subscriber route: agents use the audited agent routes."""
    if request_token(request):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "console users look numbers up through /api/itinerary/agent/query or /agent/override",
        )


# The contract's mark (tests/contract.py) of a route authenticated by a credential of its
# own, as a gateway's Bulk Data route is: here the code texted to the number, never a role.
no_console_user.__gateway__ = True  # type: ignore[attr-defined]

SUBSCRIBER_ROUTE: dict[str, Any] = {
    "dependencies": [Depends(no_console_user)],
    "openapi_extra": {"security": []},
}
TOO_MANY = {429: {"description": "Too many requests; see Retry-After."}}


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _public(answer: Answer, number: str) -> ItineraryAnswer:
    return ItineraryAnswer.model_validate(answer.to_json(normalise(number)))


def _window(index: VisitIndex) -> WindowPublic:
    return WindowPublic.model_validate(index.window.to_json())


@router.post(
    "/codes",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CodeQueued,
    responses=TOO_MANY,
    **SUBSCRIBER_ROUTE,
)
def request_code(body: CodeRequest, request: Request, session: SessionDep) -> CodeQueued:
    """Text a one-time code to the number; the same answer whether or not it is known."""
    holder(request).get()  # no code for an index that cannot be queried
    limits = rules(request)
    otp.issue(session, body.number, address=_address(request), rules=limits)
    if next(_ISSUED) % PRUNE_EVERY == 0:
        otp.prune(session, rules=limits)
        outbox.purge(session)  # texts sent or expired, with their numbers
    return CodeQueued(
        detail="A code is on its way to this number by SMS.",
        expires_in_s=int(limits.ttl.total_seconds()),
    )


@router.post("/query", response_model=ItineraryAnswer, responses=TOO_MANY, **SUBSCRIBER_ROUTE)
async def query(body: CodeQuery, request: Request) -> ItineraryAnswer:
    """The number's cities over the last 14 days, for the code texted to it (used up)."""
    return await _with_code(request, body, SUBSCRIBER, _address(request), refused=401)


@router.post("/agent/query", response_model=ItineraryAnswer, dependencies=[allow(*AGENTS)])
async def agent_query(body: CodeQuery, request: Request, user: CurrentUser) -> ItineraryAnswer:
    """A number's cities for the code the subscriber reads out; audited under the agent."""
    # 403, not 401, for a refused code: the agent's login is fine, the code is not (and the
    # console takes a 401 for a login that ended).
    return await _with_code(request, body, user.name, None, refused=403)


async def _with_code(
    request: Request, body: CodeQuery, actor: str, address: str | None, *, refused: int
) -> ItineraryAnswer:
    """The answer for a right code; 409 for a used one, ``refused`` for any other."""
    verdict, answer = await in_unit(
        request.app.state.sessions,
        _checked_lookup,
        holder(request),
        body,
        actor,
        address,
        rules(request),
    )
    if verdict is otp.Verdict.USED:
        raise HTTPException(status.HTTP_409_CONFLICT, "this code has been used already")
    if answer is None:
        raise HTTPException(refused, REFUSALS[verdict])
    return answer


@router.post("/agent/override", response_model=ItineraryAnswer, dependencies=[allow(*AGENTS)])
def agent_override(
    body: Override, request: Request, user: CurrentUser, session: SessionDep
) -> ItineraryAnswer:
    """A number's cities without a code, for a stated reason; audited with it."""
    answer = holder(request).get().lookup_number(body.number)
    # Masked too: a reason may quote the number.
    reason = mask(body.reason.strip())
    _audit(session, user.name, "itinerary.override", body.number, answer, reason=reason)
    return _public(answer, body.number)


@router.get("/cities", response_model=CityTotals, dependencies=[allow(*AGENTS)])
def cities(request: Request) -> CityTotals:
    """Subscribers with a stay per city over the window, most first."""
    index = holder(request).get()
    return CityTotals(
        window=_window(index),
        cities=[CityCount(city=c, subscribers=n) for c, n in index.city_totals()],
    )


REFUSALS = {
    otp.Verdict.WRONG: "wrong code for this number",
    otp.Verdict.EXPIRED: "this code has expired; ask for a new one",
    otp.Verdict.EXHAUSTED: "this code was tried wrongly too often; ask for a new one",
}


def _checked_lookup(
    session: Session,
    holder: IndexHolder,
    body: CodeQuery,
    actor: str,
    address: str | None,
    limits: otp.Rules,
) -> tuple[otp.Verdict, ItineraryAnswer | None]:
    """One unit of work: count the try, check the code, look up and audit (or audit why not).

    Returns rather than raises on a refused code, so that the wrong try is committed.
    """
    index = holder.get()
    otp.count_query(session, address, rules=limits)
    verdict = otp.verify(session, body.number, body.code, rules=limits)
    if verdict is not otp.Verdict.OK:
        _audit(session, actor, "itinerary.code_refused", body.number, None, verdict=verdict.value)
        return verdict, None
    answer = index.lookup_number(body.number)
    action = "itinerary.query" if actor == SUBSCRIBER else "itinerary.agent_query"
    _audit(session, actor, action, body.number, answer)
    return verdict, _public(answer, body.number)


def _audit(
    session: Session, actor: str, action: str, number: str, answer: Answer | None, **detail: Any
) -> None:
    """The audit row of a lookup: the pseudonym and the masked number, never the number."""
    if answer is not None:
        detail |= {"as_of": answer.window.as_of.isoformat(), "cities": len(answer.cities)}
    record(
        session,
        actor,
        action,
        "itinerary_number",
        pseudonymise(number),
        number=mask(normalise(number)),
        **detail,
    )
