"""What the access advisor reads and keeps: its jobs, the entities and policies a report
covers, and the latest recorded call of each principal to each action (the audit trail).

The audit reads walk `audit_events_principal` (account, principal ARN, time): a user's
calls by its ARN, a role's by the range of its sessions' ARNs
(`arn:aws:sts::ACCOUNT:assumed-role/NAME/…`), from the start of the tracking period.
"""

import json
from typing import NamedTuple

from sqlalchemy import and_, delete, func, insert, or_, select, update

from .schema.advisor import access_advisor_jobs as jobs
from .schema.audit import audit_events as ae
from .schema.core import users
from .schema.entities import group_members, groups, roles
from .schema.policies import inline_policies, managed_policies, policy_attachments, policy_versions

CHUNK = 500  # principals per statement


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
    principal_arn: str
    action: str  # the event name: the API operation
    at: float


def latest_statement(account_id: str, since: float, test):
    """The latest call of each (principal, action) among the principals `test` selects."""
    return (select(ae.c.principal_arn, ae.c.event_name, func.max(ae.c.event_time))
            .where(ae.c.account_id == account_id, ae.c.event_time >= since, test)
            .group_by(ae.c.principal_arn, ae.c.event_name))


def principals_test(arns: list[str] = (), prefix: str | None = None):
    """Principals named in `arns`, or (a role's sessions) those whose ARN starts with
    `prefix`, as a range of the index: `…/NAME/` up to `…/NAME0` ('0' follows '/')."""
    if prefix is not None:
        return and_(ae.c.principal_arn >= prefix, ae.c.principal_arn < prefix[:-1] + "0")
    return ae.c.principal_arn.in_(arns)


def latest_calls(tx, account_id: str, since: float, arns: list[str], prefixes: list[str]) -> list[Call]:
    """The latest authenticated call since `since` of each (principal, action), for the
    principals named in `arns` and those whose ARN starts with one of `prefixes`; one
    index walk per statement."""
    tests = [principals_test(arns[i:i + CHUNK]) for i in range(0, len(arns), CHUNK)]
    tests += [principals_test(prefix=p) for p in prefixes]
    return [Call(*r) for test in tests for r in tx.execute(latest_statement(account_id, since, test))]


def region_of(tx, account_id: str, call: Call) -> str | None:
    """The region the recorded call was made in (its record's awsRegion)."""
    text = tx.execute(select(ae.c.record).where(
        ae.c.account_id == account_id, ae.c.principal_arn == call.principal_arn,
        ae.c.event_time == call.at, ae.c.event_name == call.action).limit(1)).scalar()
    try:
        return json.loads(text).get("awsRegion") if text else None
    except ValueError:
        return None
