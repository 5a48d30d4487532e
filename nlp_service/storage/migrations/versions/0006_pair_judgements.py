"""pair judgements: staff answers to "same issue?" (not-a-duplicate answers keep pairs apart)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pair_judgements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('a_id', sa.Integer(), nullable=False),
        sa.Column('b_id', sa.Integer(), nullable=False),
        sa.Column('same', sa.Boolean(), nullable=False),
        sa.Column('actor', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['a_id'], ['suggestions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['b_id'], ['suggestions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('a_id', 'b_id'),
    )
    op.create_index('ix_pair_judgements_a_id', 'pair_judgements', ['a_id'])
    op.create_index('ix_pair_judgements_b_id', 'pair_judgements', ['b_id'])


def downgrade() -> None:
    op.drop_index('ix_pair_judgements_b_id', table_name='pair_judgements')
    op.drop_index('ix_pair_judgements_a_id', table_name='pair_judgements')
    op.drop_table('pair_judgements')
