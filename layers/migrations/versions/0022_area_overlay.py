"""area overlay: the latest default-settings overlay of each level, stored for the OGC API's area collections

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09 09:00:00

The overlay (``layers.analysis``) is computed in memory, on request. So that the boundaries' public views can
carry it, its latest answer under the default settings (the one ``GET /analysis/overlay`` gives with no
parameters: every kind, provision, 800 m coverage, 2,000 m 2SFCA catchment, need = IMD, provision measure =
per 1,000 residents) is written here, a level at a time, by ``layers.ogc.overlay.refresh``:

- ``area_overlay_runs``: per level, the data version (``layers.analysis.cache.Counters.version``) the stored
  rows were computed from, and when. The OGC API compares it with the data's version now before each read of
  an area collection and computes the level again when they differ: once per data version, never per page.
- ``area_overlay``: one row per area of the level (by code), the measures the views publish.

The views ``ogc.wards``, ``ogc.districts``, ``ogc.lsoas`` and ``ogc.localities`` gain the measures as their last
columns, with ``overlay_version`` and ``overlay_computed_at``: a reader of the views alone (tipg) sees the last
answer computed and can tell from which data version it came.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

INDICATORS = (
    "population_total", "population_0_15", "population_16_59", "population_60_plus",
    "population_working_age", "imd_rank", "imd_decile", "income_decile", "employment_decile",
    "education_decile", "health_decile", "crime_decile", "housing_decile", "living_environment_decile",
)  # fmt: skip
# As migration 0021_public_views made them.
LATEST = (
    "LEFT JOIN LATERAL (SELECT "
    + ", ".join(f"max(l.value) FILTER (WHERE l.key = '{k}') AS {k}" for k in INDICATORS)
    + " FROM (SELECT DISTINCT ON (i.key) i.key, i.value FROM public.indicators i"
    " WHERE i.area_code = a.code ORDER BY i.key, i.period DESC) l) ind ON true"
)
AREA_COLUMNS = ", ".join(f"ind.{k}" for k in INDICATORS)
#: The overlay's columns the views publish, in order (layers.ogc.collections.OVERLAY names them too).
OVERLAY = (
    "assets_per_1000", "coverage_800m", "access_2sfca", "overlay_priority", "overlay_class",
    "overlay_class_label", "overlay_version", "overlay_computed_at",
)  # fmt: skip
AREA_VIEWS = {
    "wards": ("ward", "a.parent_code AS district_code, a.vintage"),
    "districts": ("district", "a.vintage"),
    "lsoas": ("lsoa", "a.parent_code AS district_code, a.vintage"),
    "localities": ("locality", "a.vintage"),
}


def _view(kind: str, columns: str, overlay: bool) -> str:
    more = ", " + ", ".join(f"o.{c}" for c in OVERLAY) if overlay else ""
    join = "LEFT JOIN public.area_overlay o ON o.code = a.code\n" if overlay else ""
    return f"""
SELECT a.code AS id, a.name, {columns}, {AREA_COLUMNS}{more}, a.geom
FROM public.areas a
{LATEST}
{join}WHERE a.kind = '{kind}'"""


def upgrade() -> None:
    op.create_table(
        "area_overlay_runs",
        sa.Column("level", sa.Text(), primary_key=True),
        sa.Column("version", sa.Text(), nullable=False, comment="the data version computed from"),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        comment="When each level's default overlay was last stored in area_overlay, and from which data",
    )
    op.create_table(
        "area_overlay",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("assets_per_1000", sa.Float(53)),
        sa.Column("coverage_800m", sa.Float(53), comment="share of residents within 800 m of an asset"),
        sa.Column("access_2sfca", sa.Float(53)),
        sa.Column("overlay_priority", sa.Integer(), comment="1 = the largest gap of need over provision"),
        sa.Column("overlay_class", sa.Text(), comment="need-provision, e.g. high-low"),
        sa.Column("overlay_class_label", sa.Text()),
        sa.Column("overlay_version", sa.Text(), nullable=False),
        sa.Column("overlay_computed_at", sa.DateTime(timezone=True), nullable=False),
        comment="The latest default-settings overlay of each area (layers.ogc.overlay)",
    )
    op.create_index(op.f("ix_area_overlay_level"), "area_overlay", ["level"])
    for view, (kind, columns) in AREA_VIEWS.items():
        op.execute(f"DROP VIEW ogc.{view}")  # geom stays last: the new columns come before it
        op.execute(f"CREATE VIEW ogc.{view} AS {_view(kind, columns, True)}")


def downgrade() -> None:
    for view, (kind, columns) in AREA_VIEWS.items():
        op.execute(f"DROP VIEW ogc.{view}")
        op.execute(f"CREATE VIEW ogc.{view} AS {_view(kind, columns, False)}")
    op.drop_table("area_overlay")
    op.drop_table("area_overlay_runs")
