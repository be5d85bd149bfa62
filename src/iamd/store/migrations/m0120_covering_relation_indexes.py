"""The indexes by which a page of entities finds its attached policies and its users'
groups carry the other end of the relation, so a lookup reads the index alone.

GetAccountAuthorizationDetails looks up a page's 1,000 ids in each relation table; in a
large account those ids fall on as many different index pages, and a lookup that then
read the table's row for the policy or group id cost a second random descent per row
(the part of a page's cost that grew with the account). `ix_policy_attachments_entity`
(entity_type, entity_id) becomes `ix_policy_attachments_entity_policy` (+ policy_id),
and `ix_group_members_user` (user_id) becomes `ix_group_members_user_group` (+ group_id).

Databases created after this change have the new indexes from the schema modules (m0002
builds tables from the current schema): each is created only if missing.
"""

from sqlalchemy import text

from ..schema import load_all

VERSION = 120
REPLACED = {"policy_attachments": ("ix_policy_attachments_entity", "ix_policy_attachments_entity_policy"),
            "group_members": ("ix_group_members_user", "ix_group_members_user_group")}


def upgrade(conn) -> None:
    meta = load_all()
    for table, (old, new) in REPLACED.items():
        for index in meta.tables[table].indexes:
            if index.name == new:
                index.create(conn, checkfirst=True)
        conn.execute(text(f"DROP INDEX IF EXISTS {old}"))
