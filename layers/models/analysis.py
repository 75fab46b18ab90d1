"""What the analysis knows about the asset register itself: where it is complete (the mapped extent).

An area (a district or a locality) is *mapped* for some kinds of asset when someone has checked that Patchmap
holds every group, hub or space of those kinds there: an officer marking it, or an import that covers it. The
overlay ranks only areas inside the mapped extent for every kind it counts; elsewhere "no assets" may only
mean "no data", so those areas are shown but not scored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Integer,
    String,
    Text,
    func,
)
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


class AnalysisChange(Base):
    """The change counter of one source of the overlay's inputs (areas, indicators, assets, mapped): raised
    once by each transaction that writes to one of its tables (statement triggers, migration 0017)."""

    __tablename__ = "analysis_changes"

    source: Mapped[str] = mapped_column(Text, primary_key=True, comment="areas, indicators, assets or mapped")
    changes: Mapped[int] = mapped_column(BigInteger, comment="raised by each committed change")
    last_xid: Mapped[str | None] = mapped_column(
        Text, comment="the transaction that raised it last (raised once per transaction)"
    )


class AnalysisAssetChange(Base):
    """Which asset (kind, id) a raise of the ``assets`` counter touched, so kept asset frames read only those."""

    __tablename__ = "analysis_asset_changes"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger, index=True, comment="the assets counter it raised to")
    kind: Mapped[str] = mapped_column(Text, comment="group, hub or space; * for every asset (a TRUNCATE)")
    id: Mapped[int | None] = mapped_column(Integer, comment="the asset; null: every asset (a TRUNCATE)")


class AreaOverlayRun(Base):
    """When a level's default overlay was last stored in ``area_overlay``, and from which data version
    (migration 0022_area_overlay; written by ``layers.ogc.overlay.refresh``)."""

    __tablename__ = "area_overlay_runs"
    __table_args__ = (
        {"comment": "When each level's default overlay was last stored in area_overlay, and from which data"},
    )

    level: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[str] = mapped_column(Text, comment="the data version computed from")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AreaOverlay(Base):
    """One area's latest default-settings overlay, as the OGC API's area views publish it."""

    __tablename__ = "area_overlay"
    __table_args__ = ({"comment": "The latest default-settings overlay of each area (layers.ogc.overlay)"},)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(Text, index=True)
    assets_per_1000: Mapped[float | None] = mapped_column(Float(53))
    coverage_800m: Mapped[float | None] = mapped_column(
        Float(53), comment="share of residents within 800 m of an asset"
    )
    access_2sfca: Mapped[float | None] = mapped_column(Float(53))
    overlay_priority: Mapped[int | None] = mapped_column(
        Integer, comment="1 = the largest gap of need over provision"
    )
    overlay_class: Mapped[str | None] = mapped_column(Text, comment="need-provision, e.g. high-low")
    overlay_class_label: Mapped[str | None] = mapped_column(Text)
    overlay_version: Mapped[str] = mapped_column(Text)
    overlay_computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
