"""Indexes on (account_id, created_at, id) of users, groups, roles and managed policies:
the order GetAccountAuthorizationDetails pages in. Without them every page sorted the
whole account to find the rows after its marker, so a walk cost the square of its size.
And (account_id, permissions_boundary) of users and roles: a policy's boundary usage
count scanned every user and role of the account, for each page of policies.

Databases created after the indexes joined the schema modules already have them (m0002
builds tables from the current schema): each is created only if missing.
"""

from ..schema import load_all

VERSION = 62
INDEXES = {"users": ("ix_users_created", "ix_users_boundary"),
           "groups": ("ix_groups_created",),
           "roles": ("ix_roles_created", "ix_roles_boundary"),
           "managed_policies": ("ix_managed_policies_created",)}


def upgrade(conn) -> None:
    meta = load_all()
    for table, names in INDEXES.items():
        for index in meta.tables[table].indexes:
            if index.name in names:
                index.create(conn, checkfirst=True)
