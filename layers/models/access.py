"""Models for who may do what: users and their districts, API tokens, browser sessions, login attempts, the
append-only audit log, record versions and each district's partners (migration 0006).

Secrets are never stored: passwords as argon2 hashes, tokens and session ids as SHA-256 digests of 256-bit
random values (a digest suffices for a high-entropy secret; argon2 is for low-entropy passwords).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.models.base import Base, Timestamped

ROLES = ("admin", "officer", "coordinator")


class User(Timestamped, Base):
    """A council user: admin (everything), officer (county-wide), or co-ordinator (their districts)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'officer', 'coordinator')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, comment="lower case")
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text, comment="argon2id")
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserDistrict(Base):
    """A district a co-ordinator looks after."""

    __tablename__ = "user_districts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class ApiToken(Base):
    """A bearer token for the API: stored as a SHA-256 digest, with an expiry; revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser: the cookie holds a random id, stored here as a digest, with its CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """A sign-in attempt, keyed by an HMAC of the email and the client (no address or email stored)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    succeeded: Mapped[bool] = mapped_column(Boolean)


Index("ix_login_attempts_key_at", LoginAttempt.key, LoginAttempt.at)


class AuditEntry(Base):
    """One privileged action. Append-only: the database refuses UPDATE, DELETE and TRUNCATE (migration 0006)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, comment="users.id (no foreign key: kept forever)")
    actor_role: Mapped[str] = mapped_column(String(16))
    district_code: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class RecordVersion(Base):
    """A version of a group, hub, space or a hub's room: who changed what, when, and the record as it then stood."""

    __tablename__ = "record_versions"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id", "version", name="uq_record_versions_object_version"),
        CheckConstraint("object_type IN ('group', 'hub', 'space', 'room')", name="object_type"),
        CheckConstraint("author_kind IN ('user', 'organiser', 'system')", name="author_kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(8))
    object_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16), comment="create, update, restore or confirm")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    changed_by: Mapped[int | None] = mapped_column(Integer, comment="users.id")
    author_kind: Mapped[str] = mapped_column(
        String(16), default="user", server_default="user", comment="user, organiser or system"
    )
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class Partner(Timestamped, Base):
    """An organisation with a role in a district, in the list its co-ordinator keeps."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
