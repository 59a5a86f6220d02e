"""feed cache layout: the feed's bytes apart from the state every request reads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 12:00:00

The state row used to hold the body and its gzipped copy before the ETag, so
SQLite walked a megabyte of overflow pages to answer a 304. The cache is
derived data: the old table is dropped rather than converted, and every feed is
rebuilt on its next request (its empty ``feed_url`` also drops old fragments).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('feed_cache')
    op.create_table('feed_cache',
    sa.Column('show_id', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_stale', sa.Boolean(), nullable=False),
    sa.Column('feed_url', sa.String(length=2048), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['show.id'], name=op.f('fk_feed_cache_show_id_show'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('show_id', name=op.f('pk_feed_cache'))
    )
    op.create_table('feed_document',
    sa.Column('show_id', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['show.id'], name=op.f('fk_feed_document_show_id_show'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('show_id', name=op.f('pk_feed_document'))
    )


def downgrade():
    op.drop_table('feed_document')
    op.drop_table('feed_cache')
    op.create_table('feed_cache',
    sa.Column('show_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('body_gzip', sa.LargeBinary(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_stale', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['show.id'], name=op.f('fk_feed_cache_show_id_show'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('show_id', name=op.f('pk_feed_cache'))
    )
