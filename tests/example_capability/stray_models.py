"""A table on a declarative base of its own: what the contract refuses (test only)."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class _OwnBase(DeclarativeBase):
    pass


class Stray(_OwnBase):
    __tablename__ = "example_stray"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
