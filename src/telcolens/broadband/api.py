"""The broadband work-order API: the queue, one order with its lines and history, opening
one, and its steps (``telcolens.broadband.workorders`` holds the rules).

Every route is the broadband engineers' (and admin's). The Bulk Data collector's routes
under ``/api/broadband/bulkdata`` are in :mod:`telcolens.broadband.collector_api`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter, Query, status
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    Strict,
    StringConstraints,
    create_model,
)
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from telcolens.api.deps import CurrentUser, SessionDep, StoreRoute, allow, get_or_404
from telcolens.api.paging import Paged, paginate
from telcolens.api.params import INT64_MAX, NO_NUL, Id, IsoDate, Page, PageSize
from telcolens.api.schemas import HistoryItem, history
from telcolens.broadband import workorders
from telcolens.broadband.models import (
    ACTIONS,
    ELEMENT_TYPES,
    SCENARIO_SIDES,
    SCENARIOS,
    SIDES,
    STATES,
    TicketLine,
    WorkOrder,
)

ENGINEERS = ("broadband_engineer",)
router = APIRouter(
    prefix="/api/broadband",
    tags=["broadband"],
    dependencies=[allow(*ENGINEERS)],
    route_class=StoreRoute,
)

JS_SAFE = 2**53 - 1  # integers the console's JavaScript (and any JSON reader) holds exactly


def _whole_number(value: object) -> object:
    """1604.0 as 1604: JSON Schema's integer holds whole numbers written with a fraction."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Strict: JSON ``false`` or ``"7"`` is not a line id (lax pydantic would read 0 and 7); in a
# body a line id is a JSON number, exact only up to 2**53 - 1 for most readers.
LineId = Annotated[
    int,
    Strict(),
    Field(ge=0, le=JS_SAFE, description="A line (access account) id."),
    BeforeValidator(_whole_number),
]
Scenario = Literal[SCENARIOS]  # type: ignore[valid-type]
Action = Literal[ACTIONS]  # type: ignore[valid-type]


class WorkOrderRow(BaseModel):
    id: int
    line_id: int | None = Field(description="The line repaired; null for a ticket on an element.")
    element: str | None = Field(description="The splitter, PON port or OLT of a ticket.")
    element_type: str | None
    scenario: str
    action: str
    side: str = Field(description="Where the cause lies: home, street or network.")
    state: str
    first_day: dt.date = Field(description="The first diagnosis day that saw the scenario.")
    last_day: dt.date = Field(description="The latest diagnosis day that saw it.")
    created_at: dt.datetime
    created_by: str
    due: dt.datetime | None
    assignee: str | None
    closed_at: dt.datetime | None
    closed_by: str | None
    score_before: float | None = Field(description="The perception score when diagnosed.")
    score_after: float | None = Field(description="The perception score after the repair.")
    n_lines: int = Field(description="The lines a ticket stands for; 0 for a line's order.")

    @classmethod
    def fields_of(cls, o: WorkOrder) -> dict[str, Any]:
        return {k: getattr(o, k) for k in cls.model_fields}


class WorkOrderPage(Paged[WorkOrderRow]):
    """A page of the work-order queue."""


class WorkOrderDetail(WorkOrderRow):
    outcome: str | None
    evidence: dict[str, Any] = Field(description="The KPIs and thresholds behind the scenario.")
    lines: list[int] = Field(description="The lines a shared-cause ticket stands for.")
    history: list[HistoryItem]


# What the schema admits, both stores hold and the rules accept, so that a request valid
# by the schema is never refused as bad input: no NUL (PostgreSQL's text and JSON refuse
# it), names with a visible character, evidence small and flat, and (below) only the
# actions of the scenario's side.
VISIBLE = r"^[^\x00]*[^\s\x00][^\x00]*$"
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=workorders.MAX_TEXT, pattern=VISIBLE)
]
Number = Annotated[int, Field(ge=-JS_SAFE, le=JS_SAFE)] | float
EvidenceValue = (
    bool
    | Number
    | Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
    | Annotated[list[Number], Field(max_length=50)]
    | None
)
EvidenceKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]
Evidence = Annotated[
    dict[EvidenceKey, EvidenceValue],
    Field(
        max_length=50,
        description="The KPIs and thresholds that point to the scenario, by name.",
        # The keys' pattern is a patternProperties entry: no other key is admitted.
        json_schema_extra={"additionalProperties": False},
    ),
]


def _written(value: object) -> object:
    # JSON carries a time as text; lax pydantic would read the number 0 as 1970-01-01.
    if not isinstance(value, str | dt.datetime):
        raise ValueError("a date-time as ISO 8601 text")
    return value


Due = Annotated[AwareDatetime, BeforeValidator(_written)]


class _NewOrder(BaseModel):
    day: IsoDate | None = Field(None, description="The diagnosis day (default: today, CST).")
    evidence: Evidence = Field(default_factory=dict)
    score: Annotated[float, Strict()] | None = Field(
        None, ge=0, le=100, description="The perception score."
    )
    due: Due | None = Field(None, description="Default: the action's service target.")


def _new_order(side: str, shared: bool) -> type[BaseModel] | None:
    """The body for the scenarios of ``side`` with an order on one line, or a shared ticket."""
    scenarios = tuple(
        s for s, at in SCENARIO_SIDES.items() if at == side and (s in workorders.SHARED) == shared
    )
    if not scenarios:
        return None
    fields: dict[str, Any] = {
        "scenario": (Literal[scenarios], ...),
        "action": (
            Literal[workorders.SIDE_ACTIONS[side]],
            Field(description=f"The repair: a {side}-side cause gets one of these only."),
        ),
    }
    if shared:
        fields["element"] = (Name, Field(description="The splitter, PON port or OLT id."))
        fields["element_type"] = (Literal[ELEMENT_TYPES], ...)
        fields["lines"] = (
            list[LineId],
            Field(default_factory=list, max_length=workorders.MAX_LINES, description="Its lines."),
        )
    else:
        fields["line_id"] = (LineId, ...)
    name = f"{side.title()}{'Ticket' if shared else 'LineOrder'}"
    what = "a ticket on the shared element" if shared else "an order on one line"
    return create_model(name, __base__=_NewOrder, __doc__=f"{side.title()}-side: {what}.", **fields)


_BODIES = [b for side in SIDES for shared in (False, True) if (b := _new_order(side, shared))]
# One body per side and kind, told apart by the scenario.
WorkOrderCreate = Annotated[Union[tuple(_BODIES)], Field(discriminator="scenario")]  # noqa: UP007


class Dispatch(BaseModel):
    assignee: Name = Field(description="The crew or centre it goes to.")


class Outcome(BaseModel):
    outcome: str = Field(
        min_length=1, max_length=2000, pattern=VISIBLE, description="What was found and done."
    )


@router.get("/work-orders", response_model=WorkOrderPage)
def list_work_orders(
    session: SessionDep,
    state: Literal[STATES] | None = None,  # type: ignore[valid-type]
    scenario: Scenario | None = None,
    side: Literal[SIDES] | None = None,  # type: ignore[valid-type]
    action: Action | None = None,
    element: Annotated[
        # No NUL: PostgreSQL refuses it even in a comparison.
        str | None, Query(max_length=workorders.MAX_TEXT, pattern=r"^[^\x00]+$")
    ] = None,
    line: Annotated[
        int | None,
        Query(ge=0, le=INT64_MAX, description="Orders for the line, and tickets standing for it."),
    ] = None,
    kind: Annotated[
        Literal["line", "ticket"] | None,
        Query(description="line: orders for one line; ticket: shared-cause tickets on elements."),
    ] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """The work-order queue, filtered and paged; newest first."""
    q = select(WorkOrder)
    for column, value in (
        (WorkOrder.state, state),
        (WorkOrder.scenario, scenario),
        (WorkOrder.side, side),
        (WorkOrder.action, action),
        (WorkOrder.element, element),
    ):
        if value is not None:
            q = q.where(column == value)
    if line is not None:
        tickets = select(TicketLine.work_order_id).where(TicketLine.line_id == line)
        q = q.where(or_(WorkOrder.line_id == line, WorkOrder.id.in_(tickets)))
    if kind is not None:
        q = q.where(
            WorkOrder.element.is_(None) if kind == "line" else WorkOrder.element.is_not(None)
        )
    q = q.options(selectinload(WorkOrder.lines))
    total, rows = paginate(session, q.order_by(WorkOrder.id.desc()), page, page_size)
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "items": [WorkOrderRow.fields_of(o) for o in rows.scalars()],
    }


def _order(session, order_id: int) -> WorkOrder:
    return get_or_404(session, WorkOrder, order_id, "work order")


def _detail(session, o: WorkOrder) -> WorkOrderDetail:
    return WorkOrderDetail(
        **WorkOrderRow.fields_of(o),
        outcome=o.outcome,
        evidence=o.evidence,
        lines=[t.line_id for t in o.lines],
        history=history(session, workorders.OBJECT, o.id),
    )


@router.get("/work-orders/{order_id}", response_model=WorkOrderDetail)
def get_work_order(order_id: Id, session: SessionDep) -> WorkOrderDetail:
    """One work order with its evidence, its lines and its history."""
    return _detail(session, _order(session, order_id))


@router.post("/work-orders", status_code=status.HTTP_201_CREATED, response_model=WorkOrderDetail)
def create_work_order(
    body: WorkOrderCreate, session: SessionDep, user: CurrentUser
) -> WorkOrderDetail:
    """Open a work order for a diagnosed scenario: 409 while one is active for it already,
    422 for an action on the wrong side (a truck for Wi-Fi, a reboot for a fibre)."""
    found = body.model_dump(exclude={"due"})  # type: ignore[attr-defined]
    found["day"] = body.day or dt.datetime.now(workorders.RECORD_TZ).date()
    order = workorders.create_work_order(session, found, user.name, due=body.due)  # type: ignore[attr-defined]
    return _detail(session, order)


def _step(session, order_id: int, user, step: str, **kwargs) -> WorkOrderDetail:
    order = _order(session, order_id)
    workorders.transition(session, order, step, user.name, **kwargs)
    session.flush()  # the row's version check: a concurrent change of the order is a 409 here
    return _detail(session, order)


@router.post("/work-orders/{order_id}/dispatch", response_model=WorkOrderDetail)
def dispatch(
    order_id: Id, body: Dispatch, session: SessionDep, user: CurrentUser
) -> WorkOrderDetail:
    """Hand a field visit to a crew, or a network ticket to the network operations centre."""
    return _step(session, order_id, user, "dispatch", assignee=body.assignee)


@router.post("/work-orders/{order_id}/start", response_model=WorkOrderDetail)
def start(order_id: Id, session: SessionDep, user: CurrentUser) -> WorkOrderDetail:
    """Work on the order begins (a remote fix is sent, a crew is on site)."""
    return _step(session, order_id, user, "start")


@router.post("/work-orders/{order_id}/done", response_model=WorkOrderDetail)
def done(order_id: Id, body: Outcome, session: SessionDep, user: CurrentUser) -> WorkOrderDetail:
    """The repair is made; the outcome says what was found and done."""
    return _step(session, order_id, user, "done", outcome=body.outcome)


@router.post("/work-orders/{order_id}/failed", response_model=WorkOrderDetail)
def failed(order_id: Id, body: Outcome, session: SessionDep, user: CurrentUser) -> WorkOrderDetail:
    """The repair could not be made; the outcome says why."""
    return _step(session, order_id, user, "failed", outcome=body.outcome)


@router.post("/work-orders/{order_id}/cancel", response_model=WorkOrderDetail)
def cancel(order_id: Id, body: Outcome, session: SessionDep, user: CurrentUser) -> WorkOrderDetail:
    """The order is not needed (the line recovered, the diagnosis was wrong); say why."""
    return _step(session, order_id, user, "cancel", outcome=body.outcome)
