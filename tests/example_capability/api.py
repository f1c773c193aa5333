"""The example capability's router: one endpoint for its role."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from telcolens.api.deps import CurrentUser, StoreRoute, allow

router = APIRouter(
    prefix="/api/example",
    tags=["example"],
    dependencies=[allow("example_user")],
    route_class=StoreRoute,
)


class Greeting(BaseModel):
    greeting: str


@router.get("/hello")
def hello(user: CurrentUser) -> Greeting:
    return Greeting(greeting=f"hello, {user.name}")
