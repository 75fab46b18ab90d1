"""Closing the loop with people: named contacts, emailed links, organisers' edits, reminders, introductions.

- ``AreaContact``: the public contact for a district or locality (a role, not a person's own address),
  kept by its co-ordinator. Public by design: residents are shown it beside a searched place.
- ``LinkToken``: a link sent by email (an organiser's sign-in, a freshness "still right?" answer, a
  resident's offer, a new user's set-password link). 256 random bits, shown once in the message; only the
  SHA-256 digest is stored. Single use (``used_at``), expiring (``expires_at``), bound to one object.
- ``ListingChange``: an organiser's edit of a field that waits for the co-ordinator (name, place,
  categories); small fields go live at once as a version with ``author_kind`` "organiser".
- ``FreshnessReminder``: the "is this still right?" messages sent for one record, and when it was flagged.
- ``SubmissionReply``: a resident's answer to a moderator's question (private, like the offer).
- ``Introduction``: an accepted offer of help introduced to a group, both sides having consented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.models.base import Base, _one_of

LINK_PURPOSES: Final[tuple[str, ...]] = ("organiser", "freshness", "offer", "set_password")
LINK_OBJECTS: Final[tuple[str, ...]] = ("group", "hub", "space", "submission", "user")
LISTING_CHANGE_STATUSES: Final[tuple[str, ...]] = ("pending", "approved", "rejected", "superseded")
FOLLOW_UPS: Final[tuple[str, ...]] = ("open", "introduced", "closed")


class AreaContact(Base):
    """A district's (or locality's) public council contact: a role name, email, phone and office hours."""

    __tablename__ = "area_contacts"

    area_code: Mapped[str] = mapped_column(String(32), primary_key=True, comment="a district or locality")
    role_name: Mapped[str] = mapped_column(Text, comment="e.g. Community Connector, Norwich North")
    email: Mapped[str | None] = mapped_column(Text, comment="a work address: public")
    phone: Mapped[str | None] = mapped_column(Text, comment="a work number: public")
    office_hours: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(Integer, comment="users.id")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class LinkToken(Base):
    """A single-use, expiring link sent by email; only the SHA-256 digest of its secret is stored."""

    __tablename__ = "link_tokens"
    __table_args__ = (
        CheckConstraint(_one_of("purpose", LINK_PURPOSES), name="purpose"),
        CheckConstraint(_one_of("object_type", LINK_OBJECTS), name="object_type"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str | None] = mapped_column(String(32), comment="e.g. confirm or update (freshness)")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ListingChange(Base):
    """An organiser's edit that waits for the co-ordinator: the fields and values they asked for."""

    __tablename__ = "listing_changes"
    __table_args__ = (CheckConstraint(_one_of("status", LISTING_CHANGE_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(8))
    object_id: Mapped[int] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending", index=True)
    district_code: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[int | None] = mapped_column(Integer, comment="users.id")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


class FreshnessReminder(Base):
    """The "is this still right?" messages sent for one record since it was last confirmed."""

    __tablename__ = "freshness_reminders"

    object_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    second_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flagged_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="no answer after the second reminder: stale for the co-ordinator"
    )


class SubmissionReply(Base):
    """A resident's answer to a moderator's question about their offer (private)."""

    __tablename__ = "submission_replies"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Introduction(Base):
    """An accepted offer of help introduced to a group; both were emailed the other's contact."""

    __tablename__ = "introductions"
    __table_args__ = (UniqueConstraint("submission_id", "group_id", name="uq_introductions_pair"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    introduced_by: Mapped[int | None] = mapped_column(Integer, comment="users.id")
    reason: Mapped[str | None] = mapped_column(Text, comment="why they match, e.g. wants drivers; 0.8 km")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
