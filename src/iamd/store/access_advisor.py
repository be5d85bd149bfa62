"""What the access advisor reads and keeps: its jobs, the entities and policies a report
covers, and the latest call of each user or role to each action (`access_last_used`,
kept by the audit trail as it records calls: a role's sessions count for the role).
Reads walk that table's key (account, entity ARN, action).
"""

import json
from typing import NamedTuple

from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .fastq import Query
from .schema.advisor import access_advisor_jobs as jobs
from .schema.advisor import access_last_used as lu
from .schema.core import users
from .schema.entities import group_members, groups, roles
from .schema.policies import inline_policies, managed_policies, policy_attachments, policy_versions

CHUNK = 500  # entities per statement
TRACKING_PERIOD = 400 * 86400  # AWS's: how long an entity's last call to an action is kept


class JobRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def add(self, job_id: str, owner_arn: str, entity_arn: str, kind: str, entity_id: str,
            granularity: str, now: float, keep_for: float) -> None:
        """A new IN_PROGRESS job; jobs older than `keep_for` seconds are dropped on the way."""
        self.tx.execute(delete(jobs).where(jobs.c.created_at < now - keep_for))
        self.tx.execute(insert(jobs).values(
            job_id=job_id, account_id=self.account_id, owner_arn=owner_arn, entity_arn=entity_arn,
            entity_kind=kind, entity_id=entity_id, granularity=granularity, status="IN_PROGRESS",
            created_at=now))

    def get(self, job_id: str):
        return self.tx.execute(select(jobs).where(jobs.c.job_id == job_id,
                                                  jobs.c.account_id == self.account_id)).first()

    def finish(self, job_id: str, now: float, report: dict | None = None,
               error: tuple[str, str] | None = None) -> bool:
        """COMPLETED with its report, or FAILED with its error; only a job still in progress
        (two generators of one job never both write)."""
        values = {"status": "COMPLETED", "report": json.dumps(report, separators=(",", ":"))} if error is None \
            else {"status": "FAILED", "error_code": error[0], "error_message": error[1]}
        return self.tx.execute(update(jobs).where(jobs.c.job_id == job_id, jobs.c.status == "IN_PROGRESS")
                               .values(completed_at=now, **values)).rowcount == 1


# -- entities -----------------------------------------------------------------------------

class Entity(NamedTuple):
    kind: str  # user, role
    id: str
    name: str
    path: str


def entity(tx, kind: str, entity_id: str) -> Entity | None:
    table, id_col = (users, users.c.user_id) if kind == "user" else (roles, roles.c.role_id)
    row = tx.execute(select(id_col, table.c.name, table.c.path).where(id_col == entity_id)).first()
    return None if row is None else Entity(kind, *row)


def group_exists(tx, group_id: str) -> bool:
    return tx.execute(select(groups.c.group_id).where(groups.c.group_id == group_id)).first() is not None


def group_ids_of_user(tx, user_id: str) -> list[str]:
    return list(tx.execute(select(group_members.c.group_id).where(group_members.c.user_id == user_id)).scalars())


def group_names(tx, group_ids: list[str]) -> dict[tuple[str, str], str]:
    """{("group", id): name} of the groups."""
    rows = tx.execute(select(groups.c.group_id, groups.c.name).where(groups.c.group_id.in_(group_ids)))
    return {("group", i): n for i, n in rows}


def members(tx, group_ids: list[str]) -> list[Entity]:
    """The users of the groups, each once."""
    if not group_ids:
        return []
    rows = tx.execute(select(users.c.user_id, users.c.name, users.c.path).distinct()
                      .join(group_members, group_members.c.user_id == users.c.user_id)
                      .where(group_members.c.group_id.in_(group_ids))).all()
    return [Entity("user", *r) for r in rows]


def policy_entities(tx, policy_id: str) -> list[Entity]:
    """Users and roles a managed policy applies to: attached to them, or to a user's group."""
    pa = policy_attachments.c
    attached = tx.execute(select(pa.entity_type, pa.entity_id).where(pa.policy_id == policy_id)).all()
    out = {}
    for kind, entity_id in attached:
        if kind in ("user", "role") and (e := entity(tx, kind, entity_id)) is not None:
            out[(kind, entity_id)] = e
    for e in members(tx, [i for k, i in attached if k == "group"]):
        out.setdefault(("user", e.id), e)
    return list(out.values())


class PolicyRow(NamedTuple):
    owner_kind: str  # user, group, role: the entity it is inline in or attached to
    owner_id: str
    name: str
    arn: str | None  # None: inline
    document: str


def entity_policies(tx, owners: list[tuple[str, str]]) -> list[PolicyRow]:
    """The inline policies and attached managed policies (default versions) of each
    (kind, id), in the order given, each owner's inline ones first, then by name."""
    if not owners:
        return []
    ip, pa, mp, pv = inline_policies.c, policy_attachments.c, managed_policies.c, policy_versions.c
    inline = tx.execute(select(ip.entity_type, ip.entity_id, ip.name, ip.document).where(or_(*(
        and_(ip.entity_type == k, ip.entity_id == i) for k, i in owners)))).all()
    managed = tx.execute(
        select(pa.entity_type, pa.entity_id, mp.name, mp.arn, pv.document).select_from(
            policy_attachments.join(managed_policies, mp.policy_id == pa.policy_id)
            .join(policy_versions, and_(pv.policy_id == mp.policy_id, pv.version_id == mp.default_version)))
        .where(or_(*(and_(pa.entity_type == k, pa.entity_id == i) for k, i in owners)))).all()
    rank = {o: n for n, o in enumerate(owners)}
    rows = [PolicyRow(k, i, n, None, d) for k, i, n, d in inline] + [PolicyRow(*r) for r in managed]
    return sorted(rows, key=lambda r: (rank[(r.owner_kind, r.owner_id)], r.arn is not None, r.name.lower()))


def policy_document(tx, policy_id: str) -> str | None:
    mp, pv = managed_policies.c, policy_versions.c
    return tx.execute(select(pv.document).join(managed_policies, and_(
        pv.policy_id == mp.policy_id, pv.version_id == mp.default_version)).where(mp.policy_id == policy_id)).scalar()


# -- recorded calls -----------------------------------------------------------------------

class Call(NamedTuple):
    entity_arn: str
    action: str  # the API operation
    at: float  # its latest call
    region: str | None


def _upsert() -> Query:
    """INSERT … ON CONFLICT DO UPDATE keeping the later call (it compiles for SQLite as for
    PostgreSQL), compiled once: the audit thread runs it with every batch."""
    stmt = pg_insert(lu).values({c: bindparam(c) for c in _COLUMNS})
    return Query(stmt.on_conflict_do_update(
        index_elements=[lu.c.account_id, lu.c.entity_arn, lu.c.action],
        set_={"last_at": stmt.excluded.last_at, "region": stmt.excluded.region},
        where=stmt.excluded.last_at > lu.c.last_at))


_COLUMNS = ("account_id", "entity_arn", "action", "last_at", "region")
_UPSERT = _upsert()


def record_calls(tx, calls: dict) -> None:
    """Note the latest call of each {(account, entity ARN, action): (time, region)}, in key
    order (so that concurrent writers lock rows in one order)."""
    if calls:
        _UPSERT.many(tx, _COLUMNS, [(*key, *value) for key, value in sorted(calls.items())])


def forget_calls(tx, before: float) -> int:
    """Drop what is older than the tracking period."""
    return tx.execute(delete(lu).where(lu.c.last_at < before)).rowcount


def latest_statement(account_id: str, since: float, arns: list[str]):
    """The latest call of each (entity, action) of the entities named."""
    return select(lu.c.entity_arn, lu.c.action, lu.c.last_at, lu.c.region).where(
        lu.c.account_id == account_id, lu.c.entity_arn.in_(arns), lu.c.last_at >= since)


def latest_calls(tx, account_id: str, since: float, arns: list[str]) -> list[Call]:
    """The latest authenticated call since `since` of each (entity, action) of the users
    and roles named, CHUNK entities per statement."""
    return [Call(*r) for i in range(0, len(arns), CHUNK)
            for r in tx.execute(latest_statement(account_id, since, arns[i:i + CHUNK]))]
