"""What the analysis knows about the asset register itself: where it is complete (the mapped extent).

An area (a district or a locality) is *mapped* for some kinds of asset when someone has checked that Patchmap
holds every group, hub or space of those kinds there: an officer marking it, or an import that covers it. The
overlay ranks only areas inside the mapped extent for every kind it counts; elsewhere "no assets" may only
mean "no data", so those areas are shown but not scored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Identity, Integer, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from layers.models.base import Base

MAPPED_KINDS: Final[tuple[str, ...]] = ("group", "hub", "space")


class MappedArea(Base):
    """A district or locality whose register is complete for ``kinds``: who said so, when, and from what."""

    __tablename__ = "mapped_areas"
    __table_args__ = (
        CheckConstraint(
            "kinds <@ ARRAY['group', 'hub', 'space']::text[] AND cardinality(kinds) > 0", name="kinds"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    area_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("areas.id", ondelete="CASCADE"), unique=True, comment="a district or locality"
    )
    kinds: Mapped[list[str]] = mapped_column(ARRAY(Text), comment="group, hub, space: complete here")
    mapped_by: Mapped[str] = mapped_column(Text, comment="who: a user's name, or the import that covers it")
    source: Mapped[str | None] = mapped_column(Text, comment="e.g. the file or survey it came from")
    note: Mapped[str | None] = mapped_column(Text)
    mapped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
