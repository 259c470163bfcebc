"""Make the audit ledger append-only in the database and seed the chain's head.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION firstarticle_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entries_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION firstarticle_audit_append_only();
CREATE TRIGGER audit_entries_no_truncate
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION firstarticle_audit_append_only();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries;
DROP TRIGGER IF EXISTS audit_entries_no_update_or_delete ON audit_entries;
DROP FUNCTION IF EXISTS firstarticle_audit_append_only();
"""

# SQLite has no TRUNCATE: DELETE without WHERE is a DELETE, and the trigger stops it.
SQLITE_UP = [
    """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (DELETE refused)'); END""",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(POSTGRES_UP)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)
    op.execute(
        sa.text(
            "INSERT INTO audit_head (id, position, entry_hash) VALUES (1, 0, :genesis)"
        ).bindparams(genesis=GENESIS)
    )


def downgrade() -> None:
    bind = op.get_bind()
    op.execute("DELETE FROM audit_head")
    if bind.dialect.name == "postgresql":
        op.execute(POSTGRES_DOWN)
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
