"""The policies in force for a principal, and each worker's cache of them.

`load` reads, in one round trip, every policy text that applies to a user (its inline
policies, the default versions of its attached managed policies, the same for each of
its groups, and its permissions boundary) or to a role (inline, attached, boundary),
plus the principal's tags (for `aws:PrincipalTag/*`).

`PolicyCache` keeps what the caller builds from that (compiled policies) per principal,
and other facts that only the same writes change (`remember`).
Every write that changes what a principal may do bumps the account's
`policy_generation` in its own transaction (`bump`); each worker reads the counter at
most every `RECHECK` seconds and drops its cache when it moved, so a change reaches every
worker and every process sharing the database within a second (as key revocation does,
auth/credentials.py). A worker's own policy writes drop its cache at commit.
"""

import threading
from dataclasses import dataclass

from sqlalchemy import String, and_, bindparam, cast, literal_column, null, or_, select, union_all, update

from .fastq import Query
from .schema.core import accounts, tags, users
from .schema.entities import group_members, roles
from .schema.policies import inline_policies as ip
from .schema.policies import managed_policies as mp
from .schema.policies import policy_attachments as pa
from .schema.policies import policy_versions as pv

RECHECK = 0.5
MAX_CACHED = 10_000

_GENERATION = Query(select(accounts.c.policy_generation).where(accounts.c.account_id == bindparam("account_id")))
_BUMP = Query(update(accounts).where(accounts.c.account_id == bindparam("account_id"))
              .values(policy_generation=accounts.c.policy_generation + 1))
_TAGS = Query(select(tags.c.key, tags.c.value).where(
    tags.c.resource_type == bindparam("kind"), tags.c.resource_id == bindparam("entity_id")).order_by(tags.c.key))


@dataclass(frozen=True, slots=True)
class Source:
    id: str  # inline policy name or managed policy name
    type: str  # SourcePolicyType: user, group, role, aws-managed, user-managed
    document: str


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    identity: tuple[Source, ...]
    boundary: Source | None
    boundary_arn: str | None
    tags: tuple[tuple[str, str], ...]


def _statement(kind: str):
    """One union: (part, id, type, document) rows; part 0 inline, 1 managed, 2 boundary."""
    entity_id = bindparam("entity_id")
    table = users if kind == "user" else roles
    id_col = table.c.user_id if kind == "user" else table.c.role_id
    owners = [and_(ip.c.entity_type == kind, ip.c.entity_id == entity_id)]
    attached = [and_(pa.c.entity_type == kind, pa.c.entity_id == entity_id)]
    if kind == "user":
        groups_of = select(group_members.c.group_id).where(group_members.c.user_id == entity_id)
        owners.append(and_(ip.c.entity_type == "group", ip.c.entity_id.in_(groups_of)))
        attached.append(and_(pa.c.entity_type == "group", pa.c.entity_id.in_(groups_of)))
    version = and_(pv.c.policy_id == mp.c.policy_id, pv.c.version_id == mp.c.default_version)
    inline = select(literal_column("0").label("part"), ip.c.name.label("id"), ip.c.entity_type.label("type"),
                    ip.c.document.label("document"), cast(null(), String).label("owner_account")).where(or_(*owners))
    managed = (select(literal_column("1"), mp.c.name, mp.c.arn, pv.c.document, mp.c.account_id)
               .select_from(pa.join(mp, mp.c.policy_id == pa.c.policy_id).join(pv, version))
               .where(or_(*attached)))
    boundary = (select(literal_column("2"), mp.c.name, mp.c.arn, pv.c.document, mp.c.account_id)
                .select_from(table.join(mp, mp.c.arn == table.c.permissions_boundary).join(pv, version))
                .where(id_col == entity_id))
    u = union_all(inline, managed, boundary).subquery()
    return Query(select(u).order_by(u.c.part, u.c.type.desc(), u.c.id))


_LOAD = {"user": _statement("user"), "role": _statement("role")}


def load(tx, kind: str, entity_id: str) -> PrincipalPolicies:
    """Every policy text in force for the user or role, and its tags."""
    identity, boundary, boundary_arn = [], None, None
    for part, name, owner, document, owner_account in _LOAD[kind].all(tx, entity_id=entity_id):
        if part == 0:  # inline: the type is the owner's (user, group, role)
            identity.append(Source(name, owner, document))
            continue
        src = Source(name, "user-managed" if owner_account else "aws-managed", document)
        if part == 1:
            identity.append(src)
        else:
            boundary, boundary_arn = src, owner
    tag_rows = _TAGS.all(tx, kind=kind, entity_id=entity_id)
    return PrincipalPolicies(tuple(identity), boundary, boundary_arn, tuple((r.key, r.value) for r in tag_rows))


def generation(tx, account_id: str) -> int:
    return _GENERATION.scalar(tx, account_id=account_id) or 0


def bump(tx, account_id: str, cache: "PolicyCache | None" = None) -> None:
    """Record in the transaction that some principal's policies change; this worker's
    cache is dropped once it commits, other workers notice within RECHECK."""
    _BUMP.run(tx, account_id=account_id)
    if cache is not None:
        tx.after_commit.append(cache.clear)


class PolicyCache:
    """Built policies per (kind, entity id), valid while the account's generation holds."""

    def __init__(self, build):
        self.build = build  # PrincipalPolicies -> whatever the caller evaluates
        self._entries: dict = {}
        # per account (one server may host several): the generation seen, and when
        self._generations: dict[str, int] = {}
        self._checked: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, tx, account_id: str, kind: str, entity_id: str, now: float):
        if now - self._checked.get(account_id, float("-inf")) >= RECHECK:
            current = generation(tx, account_id)
            with self._lock:
                if current != self._generations.get(account_id):
                    self._entries = {}
                    self._generations[account_id] = current
                self._checked[account_id] = now
        key = (kind, entity_id)
        entries = self._entries
        built = entries.get(key)
        if built is None:
            built = self.build(load(tx, kind, entity_id))
            if len(entries) >= MAX_CACHED:
                entries.clear()
            entries[key] = built
        return built

    def remember(self, key, load):
        """Another fact that only writes bumping the generation change (an entity's path,
        tags and boundary), kept beside the principals until the next change; a miss
        (None) is not kept. Call after `get` in the same request."""
        entries = self._entries
        value = entries.get(key)
        if value is None:
            value = load()
            if value is not None:
                entries[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
            self._checked = {}
