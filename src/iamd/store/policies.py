"""Managed policies and their versions (customer and AWS managed), and their usage counts.

A policy is found by ARN. Customer policies belong to one account; AWS managed ones have
account_id NULL and are visible to every account, with attachment and boundary counts
taken per account. Versions are rows of policy_versions; `next_version` on the policy
hands out v1, v2, … and is never rewound, so a deleted version id is never reused.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, exists, func, insert, or_, select, union, update

from .casefold import fold
from .entity_counts import entity_count
from .fastq import Query, insert_new
from .paging import page
from .schema.core import users
from .schema.entities import roles
from .schema.policies import managed_policies as mp
from .schema.policies import policy_attachments as pa
from .schema.policies import policy_versions as pv

_INSERT = insert_new(mp, "policy_id account_id arn name name_lower path description default_version "
                         "next_version created_at updated_at attachable")
_INSERT_VERSION = Query(insert(pv).values(policy_id=bindparam("policy_id"), version_id=bindparam("version_id"),
                                          document=bindparam("document"), created_at=bindparam("created_at")))
_GET_BY_ID = Query(select(mp).where(mp.c.policy_id == bindparam("policy_id")))
_BY_ARN = select(mp).where(mp.c.arn == bindparam("arn"),
                           or_(mp.c.account_id == bindparam("account_id"), mp.c.account_id.is_(None)))
_GET, _GET_LOCKED = Query(_BY_ARN), Query(_BY_ARN.with_for_update())


def version_number(version_id: str) -> int:
    return int(version_id[1:].split(".", 1)[0])


class PolicyRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    # -- policies ---------------------------------------------------------------------------

    def create(self, policy_id: str, arn: str, name: str, path: str, description: str | None,
               document: str, now: float) -> bool:
        """Insert a customer policy with its v1; False when the name is taken."""
        if _INSERT.run(self.tx, policy_id=policy_id, account_id=self.account_id, arn=arn, name=name,
                       name_lower=fold(name), path=path, description=description,
                       default_version="v1", next_version=2, created_at=now, updated_at=now,
                       attachable=True) != 1:
            return False
        _INSERT_VERSION.run(self.tx, policy_id=policy_id, version_id="v1", document=document, created_at=now)
        return True

    def visible(self):
        """Policies this account can see: its own and AWS managed ones."""
        return or_(mp.c.account_id == self.account_id, mp.c.account_id.is_(None))

    def get(self, arn: str, lock: bool = False):
        q = _GET_LOCKED if lock and self.tx.dialect == "postgresql" else _GET
        return q.one(self.tx, arn=arn, account_id=self.account_id)

    def get_by_id(self, policy_id: str):
        return _GET_BY_ID.one(self.tx, policy_id=policy_id)

    def count_local(self) -> int:
        return entity_count(self.tx, self.account_id, mp)

    def boundary_arns(self):
        """Subquery: the ARNs this account's users and roles use as permissions boundary."""
        return union(
            select(users.c.permissions_boundary.label("arn")).where(
                users.c.account_id == self.account_id, users.c.permissions_boundary.is_not(None)),
            select(roles.c.permissions_boundary.label("arn")).where(
                roles.c.account_id == self.account_id, roles.c.permissions_boundary.is_not(None)),
        ).subquery()

    def list(self, scope: str, only_attached: bool, boundary_only: bool, path_prefix: str | None,
             marker: str | None, max_items: int | None):
        stmt = select(mp)
        if scope == "AWS":
            stmt = stmt.where(mp.c.account_id.is_(None))
        elif scope == "Local":
            stmt = stmt.where(mp.c.account_id == self.account_id)
        else:
            stmt = stmt.where(self.visible())
        if path_prefix and path_prefix != "/":
            stmt = stmt.where(mp.c.path.startswith(path_prefix, autoescape=True))
        if boundary_only:
            b = self.boundary_arns()
            stmt = stmt.where(mp.c.arn.in_(select(b.c.arn)))
        elif only_attached:
            stmt = stmt.where(exists().where(pa.c.policy_id == mp.c.policy_id,
                                             pa.c.account_id == self.account_id))
        return page(self.tx, stmt, [mp.c.name_lower, mp.c.policy_id], marker, max_items)

    def usage(self, rows) -> tuple[dict, dict]:
        """AttachmentCount by policy_id and PermissionsBoundaryUsageCount by ARN, for this
        account, in two grouped queries whatever the number of rows."""
        ids = [r.policy_id for r in rows]
        arns = [r.arn for r in rows]
        attached: dict = {}
        boundaries: dict = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for pid, n in self.tx.execute(
                    select(pa.c.policy_id, func.count()).where(
                        pa.c.policy_id.in_(chunk), pa.c.account_id == self.account_id)
                    .group_by(pa.c.policy_id)):
                attached[pid] = n
            arn_chunk = arns[i:i + 500]
            for table in (users, roles):
                for arn, n in self.tx.execute(
                        select(table.c.permissions_boundary, func.count()).where(
                            table.c.account_id == self.account_id,
                            table.c.permissions_boundary.in_(arn_chunk))
                        .group_by(table.c.permissions_boundary)):
                    boundaries[arn] = boundaries.get(arn, 0) + n
        return attached, boundaries

    def delete(self, policy_id: str) -> None:
        self.tx.execute(delete(pv).where(pv.c.policy_id == policy_id))
        self.tx.execute(delete(mp).where(mp.c.policy_id == policy_id))

    # -- versions ---------------------------------------------------------------------------

    def versions(self, policy_id: str, with_documents: bool = False) -> list:
        """Versions newest first."""
        cols = [pv.c.version_id, pv.c.created_at] + ([pv.c.document] if with_documents else [])
        rows = self.tx.execute(select(*cols).where(pv.c.policy_id == policy_id)).all()
        return sorted(rows, key=lambda r: version_number(r.version_id), reverse=True)

    def version(self, policy_id: str, version_id: str):
        return self.tx.execute(select(pv).where(pv.c.policy_id == policy_id,
                                                pv.c.version_id == version_id)).first()

    def count_versions(self, policy_id: str) -> int:
        return self.tx.execute(select(func.count()).select_from(pv)
                               .where(pv.c.policy_id == policy_id)).scalar()

    def add_version(self, policy, document: str, now: float, set_default: bool) -> str:
        """Append the next version (the policy row must be locked by the caller)."""
        version_id = f"v{policy.next_version}"
        self.tx.execute(insert(pv).values(policy_id=policy.policy_id, version_id=version_id,
                                          document=document, created_at=now))
        values = {"next_version": policy.next_version + 1, "updated_at": now}
        if set_default:
            values["default_version"] = version_id
        self.tx.execute(update(mp).where(mp.c.policy_id == policy.policy_id).values(**values))
        return version_id

    def delete_version(self, policy_id: str, version_id: str) -> None:
        self.tx.execute(delete(pv).where(pv.c.policy_id == policy_id, pv.c.version_id == version_id))
        # UpdateDate is the creation date of the newest remaining version.
        newest = self.tx.execute(select(func.max(pv.c.created_at))
                                 .where(pv.c.policy_id == policy_id)).scalar()
        self.tx.execute(update(mp).where(mp.c.policy_id == policy_id).values(updated_at=newest))

    def set_default(self, policy_id: str, version_id: str) -> None:
        self.tx.execute(update(mp).where(mp.c.policy_id == policy_id)
                        .values(default_version=version_id))

    def default_document(self, policy) -> str | None:
        return self.tx.execute(select(pv.c.document).where(
            pv.c.policy_id == policy.policy_id, pv.c.version_id == policy.default_version)).scalar()

    # -- usage ------------------------------------------------------------------------------

    def in_use(self, policy) -> bool:
        """Attached to an entity of this account, or used as a permissions boundary."""
        attached = self.tx.execute(select(exists().where(
            pa.c.policy_id == policy.policy_id, pa.c.account_id == self.account_id))).scalar()
        if attached:
            return True
        for table in (users, roles):
            if self.tx.execute(select(exists().where(and_(
                    table.c.account_id == self.account_id,
                    table.c.permissions_boundary == policy.arn)))).scalar():
                return True
        return False
