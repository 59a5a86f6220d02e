"""feed frame: keep the feed's head and tail, not a second copy of every item

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 15:00:00

A build used to write each item twice: once as its fragment and once inside
the whole document. The document is now joined from ``feed_frame`` and the
fragments. The cache is derived data: the old table is dropped and every feed
is rebuilt on its next request (an empty ETag is never fresh).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('feed_document')
    op.create_table('feed_frame',
    sa.Column('show_id', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('head', sa.LargeBinary(), nullable=False),
    sa.Column('tail', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['show.id'], name=op.f('fk_feed_frame_show_id_show'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('show_id', name=op.f('pk_feed_frame'))
    )
    op.execute("UPDATE feed_cache SET etag = ''")


def downgrade():
    op.drop_table('feed_frame')
    op.create_table('feed_document',
    sa.Column('show_id', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['show.id'], name=op.f('fk_feed_document_show_id_show'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('show_id', name=op.f('pk_feed_document'))
    )
    op.execute("UPDATE feed_cache SET etag = ''")
