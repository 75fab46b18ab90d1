"""The declarative base every model shares: naming convention, timestamps, CHECK helpers, ``table_of``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, MetaData, Table, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: tuple[str, ...] | list[str]) -> str:
    """SQL for 'column is one of values' (values come from our own taxonomy, never from users)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def _all_of(column: str, values: list[str]) -> str:
    """SQL for 'every element of the text[] column is one of values'."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} <@ ARRAY[{quoted}]::text[]"


def table_of(model: type[DeclarativeBase]) -> Table:
    """The Core ``Table`` of a mapped class (typed, for Core statements)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations are predictable."""

    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    """created_at / updated_at, set by the database."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
