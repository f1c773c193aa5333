"""Logging in and out; who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from telcolens.api.deps import COOKIE, CurrentUser, SessionDep, request_token
from telcolens.settings import get_settings
from telcolens.store.audit import record
from telcolens.store.users import authenticate, end_session, start_session

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Login(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=256)


class UserPublic(BaseModel):
    name: str
    role: str


class LoginPublic(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>` (or use the cookie).")
    user: UserPublic


@router.post("/login")
def login(body: Login, request: Request, response: Response, session: SessionDep) -> LoginPublic:
    """Log in with name and password: returns a token and sets the console's cookie."""
    user = authenticate(session, body.name, body.password)
    if user is None:
        # Its own transaction: the request's rolls back with the 401.
        with request.app.state.sessions() as other, other.begin():
            record(other, body.name, "auth.login_failed", "user", body.name)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong name or password")
    settings = get_settings()
    token = start_session(session, user, settings.session_hours)
    record(session, user.name, "auth.login", "user", user.name)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,  # scripts cannot read it
        samesite="strict",  # other sites cannot send it (no cross-site request forgery)
        secure=settings.secure_cookies,
    )
    return LoginPublic(token=token, user=UserPublic(name=user.name, role=user.role))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, user: CurrentUser, session: SessionDep) -> None:
    token = request_token(request)
    if token:
        end_session(session, token)
    record(session, user.name, "auth.logout", "user", user.name)
    response.delete_cookie(COOKIE)


@router.get("/me")
def me(user: CurrentUser) -> UserPublic:
    return UserPublic(name=user.name, role=user.role)
