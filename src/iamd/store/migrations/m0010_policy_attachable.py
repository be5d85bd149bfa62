"""managed_policies.attachable (IsAttachable) and the index ListPolicies pages over.

Databases created after this column joined the schema module already have both (m0002
builds tables from the current schema), so each step checks before it acts.
"""

from sqlalchemy import inspect, text

from ..schema import load_all

VERSION = 10


def upgrade(conn) -> None:
    meta = load_all()
    table = meta.tables["managed_policies"]
    columns = {c["name"] for c in inspect(conn).get_columns("managed_policies")}
    if "attachable" not in columns:
        default = "1" if conn.dialect.name == "sqlite" else "TRUE"
        conn.execute(text("ALTER TABLE managed_policies ADD COLUMN attachable BOOLEAN "
                          f"NOT NULL DEFAULT {default}"))
    for index in table.indexes:
        if index.name == "ix_managed_policies_name":
            index.create(conn, checkfirst=True)
