"""search columns and submissions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:12:45.052173
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


PATCHMAP_TEXT = """
CREATE OR REPLACE FUNCTION patchmap_text(text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(array_to_string($1, ' '), '') $$
"""


def upgrade() -> None:
    # array_to_string is only STABLE (it depends on output functions); for text[] it is immutable, and
    # generated columns need an immutable function.
    op.execute(PATCHMAP_TEXT)
    op.create_geospatial_table('submissions',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('contact', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('ward_code', sa.String(length=32), nullable=True),
    sa.Column('district_code', sa.String(length=32), nullable=True),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('group', 'space', 'help')", name=op.f('ck_submissions_kind')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'needs_info', 'withdrawn')", name=op.f('ck_submissions_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('reference', name=op.f('uq_submissions_reference'))
    )
    op.create_geospatial_index('idx_submissions_geom', 'submissions', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_submissions_client_recent', 'submissions', ['client_key', 'created_at'], unique=False)
    op.create_index(op.f('ix_submissions_district_code'), 'submissions', ['district_code'], unique=False)
    op.create_index(op.f('ix_submissions_kind'), 'submissions', ['kind'], unique=False)
    op.create_index(op.f('ix_submissions_status'), 'submissions', ['status'], unique=False)
    op.add_geospatial_column('groups', sa.Column('geom_bng', Geometry(geometry_type='POINT', srid=27700, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 27700)', persisted=True), nullable=True, comment='the point in British National Grid, for nearest-neighbour search in metres'))
    op.add_column('groups', sa.Column('search_text', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('english', coalesce(name, '')), 'A') || setweight(to_tsvector('english', patchmap_text(activities) || ' ' || patchmap_text(categories)), 'B') || to_tsvector('english', coalesce(description, '') || ' ' || patchmap_text(skills_sought))", persisted=True), nullable=False))
    op.create_geospatial_index('idx_groups_geom_bng', 'groups', ['geom_bng'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_groups_categories', 'groups', ['categories'], unique=False, postgresql_using='gin')
    op.create_index('ix_groups_search_text', 'groups', ['search_text'], unique=False, postgresql_using='gin')
    op.add_geospatial_column('hubs', sa.Column('geom_bng', Geometry(geometry_type='POINT', srid=27700, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), sa.Computed('ST_Transform(geom, 27700)', persisted=True), nullable=False, comment='the point in British National Grid, for nearest-neighbour search in metres'))
    op.add_column('hubs', sa.Column('search_text', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('english', coalesce(name, '')), 'A') || to_tsvector('english', coalesce(description, '') || ' ' || coalesce(address, '') || ' ' || patchmap_text(facilities))", persisted=True), nullable=False))
    op.create_geospatial_index('idx_hubs_geom_bng', 'hubs', ['geom_bng'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_hubs_search_text', 'hubs', ['search_text'], unique=False, postgresql_using='gin')
    op.add_geospatial_column('spaces', sa.Column('geom_bng', Geometry(geometry_type='POINT', srid=27700, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), sa.Computed('ST_Transform(geom, 27700)', persisted=True), nullable=False, comment='the point in British National Grid, for nearest-neighbour search in metres'))
    op.add_column('spaces', sa.Column('search_text', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('english', coalesce(name, '')), 'A') || to_tsvector('english', coalesce(description, '') || ' ' || coalesce(address, '') || ' ' || coalesce(terms, ''))", persisted=True), nullable=False))
    op.create_geospatial_index('idx_spaces_geom_bng', 'spaces', ['geom_bng'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_spaces_search_text', 'spaces', ['search_text'], unique=False, postgresql_using='gin')


def downgrade() -> None:
    op.drop_index('ix_spaces_search_text', table_name='spaces', postgresql_using='gin')
    op.drop_geospatial_index('idx_spaces_geom_bng', table_name='spaces', postgresql_using='gist', column_name='geom_bng')
    op.drop_column('spaces', 'search_text')
    op.drop_geospatial_column('spaces', 'geom_bng')
    op.drop_index('ix_hubs_search_text', table_name='hubs', postgresql_using='gin')
    op.drop_geospatial_index('idx_hubs_geom_bng', table_name='hubs', postgresql_using='gist', column_name='geom_bng')
    op.drop_column('hubs', 'search_text')
    op.drop_geospatial_column('hubs', 'geom_bng')
    op.drop_index('ix_groups_search_text', table_name='groups', postgresql_using='gin')
    op.drop_index('ix_groups_categories', table_name='groups', postgresql_using='gin')
    op.drop_geospatial_index('idx_groups_geom_bng', table_name='groups', postgresql_using='gist', column_name='geom_bng')
    op.drop_column('groups', 'search_text')
    op.drop_geospatial_column('groups', 'geom_bng')
    op.drop_index(op.f('ix_submissions_status'), table_name='submissions')
    op.drop_index(op.f('ix_submissions_kind'), table_name='submissions')
    op.drop_index(op.f('ix_submissions_district_code'), table_name='submissions')
    op.drop_index('ix_submissions_client_recent', table_name='submissions')
    op.drop_geospatial_index('idx_submissions_geom', table_name='submissions', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('submissions')
    op.execute("DROP FUNCTION patchmap_text(text[])")
