"""label sources: where each topic and department came from (imported, staff, automatic)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic_source', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('department_source', sa.String(length=16), nullable=True))
    # Rows stored before this revision: a label equal to a confident prediction that no one reviewed was
    # written by the router; any other label came with the data.
    for field in ('topic', 'department'):
        op.execute(f"""
            UPDATE suggestions SET {field}_source = CASE
              WHEN EXISTS (SELECT 1 FROM predictions p WHERE p.suggestion_id = suggestions.id
                             AND p.needs_review = false AND p.{field} = suggestions.{field})
               AND NOT EXISTS (SELECT 1 FROM corrections c WHERE c.suggestion_id = suggestions.id
                                 AND c.field = '{field}')
              THEN 'automatic'
              WHEN EXISTS (SELECT 1 FROM corrections c WHERE c.suggestion_id = suggestions.id
                             AND c.field = '{field}') THEN 'staff'
              ELSE 'imported' END
            WHERE {field} IS NOT NULL""")


def downgrade() -> None:
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_column('department_source')
        batch_op.drop_column('topic_source')
