"""media unused since: files nothing uses are removed a grace period later

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 17:10:00

``catalog media sweep`` marks stored files that no show, episode, chapter or
person uses any more, and removes their bytes once they have stayed unused for
the grace period; the row stays, with the time its bytes were removed.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('media_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unused_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('media_file', schema=None) as batch_op:
        batch_op.drop_column('removed_at')
        batch_op.drop_column('unused_since')
