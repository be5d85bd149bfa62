"""Bulk reads behind the account-wide reports: credential report, account summary and
GetAccountAuthorizationDetails, plus the credential_reports row that carries a report's
life cycle.

Every function here reads a whole table slice in one statement (or an IN-list over a
page's ids), never one statement per entity, so a report over 10,000 users costs a
handful of queries.
"""

from collections import defaultdict

from sqlalchemy import bindparam, and_, delete, func, insert, literal, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from .fastq import Query
from .schema.core import access_keys, accounts, users
from .schema.credentials import (login_profiles, mfa_devices, password_policies, server_certificates,
                                 signing_certificates)
from .schema.entities import group_members, groups, instance_profile_roles, instance_profiles, roles
from .schema.policies import inline_policies, managed_policies, policy_attachments, policy_versions
from .schema.providers import oidc_providers, saml_providers
from .schema.reports import credential_reports

CHUNK = 1000  # ids per IN-list (a page's worth): well under every engine's bound-parameter limit
ENTITY_TYPES = ("user", "group", "role")


def _chunks(ids: list):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


# -- credential report life cycle ---------------------------------------------------------

class CredentialReportRow:
    """The account's single credential_reports row: the report and the generation lock.

    `started_at` doubles as the generation's token: a generator only writes its result
    while the row still carries the token it claimed, so a superseded or duplicate
    generator can never overwrite a newer state.
    """

    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id
        self._where = credential_reports.c.account_id == account_id

    def get(self, lock: bool = False):
        stmt = select(credential_reports).where(self._where)
        return self.tx.execute(self.tx.for_update(stmt) if lock else stmt).first()

    def insert_started(self, now: float) -> bool:
        """Create the row in STARTED; False when a concurrent request created it first."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(credential_reports).values(
                    account_id=self.account_id, state="STARTED", started_at=now))
        except IntegrityError:
            return False
        return True

    def restart(self, now: float) -> None:
        """A new generation; the previous content stays until the new one lands."""
        self.tx.execute(update(credential_reports).where(self._where)
                        .values(state="STARTED", started_at=now))

    def claim(self, token: float) -> bool:
        row = self.get(lock=True)
        if row is None or row.state != "STARTED" or row.started_at != token:
            return False
        self.tx.execute(update(credential_reports).where(self._where).values(state="INPROGRESS"))
        return True

    def finish(self, token: float, generated_at: float, content: bytes) -> bool:
        row = self.get(lock=True)
        if row is None or row.state != "INPROGRESS" or row.started_at != token:
            return False
        self.tx.execute(update(credential_reports).where(self._where).values(
            state="COMPLETE", generated_at=generated_at, content=content))
        return True

    def abandon(self, token: float) -> None:
        """Undo a failed generation: back to the previous report, or to none."""
        row = self.get(lock=True)
        if row is None or row.started_at != token:
            return
        if row.content is None:
            self.tx.execute(delete(credential_reports).where(self._where))
        else:
            self.tx.execute(update(credential_reports).where(self._where).values(state="COMPLETE"))


# -- credential report content ------------------------------------------------------------

# The two big reads of the report go through fastq: SQLAlchemy's row machinery costs more
# than the database for 10,000 rows.
_REPORT_USERS = Query(select(users.c.user_id, users.c.name, users.c.path, users.c.created_at,
                             users.c.password_last_used)
                      .where(users.c.account_id == bindparam("account_id"))
                      .order_by(users.c.name_lower, users.c.name))
_REPORT_KEYS = Query(select(access_keys.c.user_id, access_keys.c.status, access_keys.c.created_at,
                            access_keys.c.last_used_at, access_keys.c.last_used_region,
                            access_keys.c.last_used_service)
                     .where(access_keys.c.account_id == bindparam("account_id"))
                     .order_by(access_keys.c.created_at, access_keys.c.access_key_id))


def credential_data(tx, account_id: str) -> dict:
    """Everything the credential report shows, one query per table.

    Owner keys are user ids, with None for the root user.
    """
    acct = tx.execute(select(accounts.c.created_at).where(accounts.c.account_id == account_id)).scalar()
    user_rows = _REPORT_USERS.all(tx, account_id=account_id)
    lp = login_profiles.c
    passwords = {r.user_id: r.password_changed_at for r in tx.execute(
        select(lp.user_id, lp.password_changed_at).where(lp.account_id == account_id))}
    max_age = tx.execute(select(password_policies.c.max_age)
                         .where(password_policies.c.account_id == account_id)).scalar()
    m = mfa_devices.c
    mfa_owners = set()
    for r in tx.execute(select(m.user_id, m.root_owned, m.enabled_at).where(
            m.account_id == account_id, or_(m.user_id.is_not(None), m.root_owned.is_(True)))):
        if r.user_id is not None:
            mfa_owners.add(r.user_id)
        elif r.enabled_at is not None:
            mfa_owners.add(None)
    keys = defaultdict(list)
    for r in _REPORT_KEYS.all(tx, account_id=account_id):
        keys[r.user_id].append(r)
    s = signing_certificates.c
    certs = defaultdict(list)
    for r in tx.execute(select(s.user_id, s.status, s.uploaded_at).where(s.account_id == account_id)
                        .order_by(s.uploaded_at, s.certificate_id)):
        certs[r.user_id].append(r)
    return {"account_created": acct, "users": user_rows, "passwords": passwords, "max_age": max_age,
            "mfa_owners": mfa_owners, "keys": keys, "certs": certs}


# -- account summary ----------------------------------------------------------------------

def summary_counts(tx, account_id: str) -> dict:
    """The SummaryMap's live counts and root-user flags, in one statement."""
    def count(table, *where):
        return select(func.count()).select_from(table).where(table.c.account_id == account_id,
                                                             *where).scalar_subquery()

    def present(table, *where):
        return select(literal(1)).select_from(table).where(
            table.c.account_id == account_id, *where).exists()

    m = mfa_devices.c
    root_mfa = and_(m.root_owned.is_(True), m.enabled_at.is_not(None))
    cols = {
        "Users": count(users),
        "Groups": count(groups),
        "Roles": count(roles),
        "InstanceProfiles": count(instance_profiles),
        "Policies": count(managed_policies),
        "PolicyVersionsInUse": count(policy_attachments, policy_attachments.c.entity_type.in_(ENTITY_TYPES)),
        "ServerCertificates": count(server_certificates),
        "MFADevices": count(mfa_devices),
        "MFADevicesInUse": count(mfa_devices, or_(m.user_id.is_not(None), root_mfa)),
        "SAMLProviders": count(saml_providers),
        "OIDCProviders": count(oidc_providers),
        "AccountMFAEnabled": present(mfa_devices, root_mfa),
        "AccountAccessKeysPresent": present(access_keys, access_keys.c.user_id.is_(None)),
        "AccountSigningCertificatesPresent": present(signing_certificates,
                                                     signing_certificates.c.user_id.is_(None)),
    }
    row = tx.execute(select(*[c.label(k) for k, c in cols.items()])).one()
    out = {k: int(getattr(row, k)) for k in cols}
    out["Providers"] = out.pop("SAMLProviders") + out.pop("OIDCProviders")
    return out


# -- GetAccountAuthorizationDetails -------------------------------------------------------

# Each kind pages in (created_at, id) order: ids are immutable and never reused, so a
# keyset marker neither repeats nor skips an entity when others are renamed, created or
# deleted between pages; entities created meanwhile come last and are still seen.
# A page reads up to 1,000 entities and what hangs off them: every statement here is a
# fastq.Query (compiled once, rows straight from the driver) walking an index.
GAAD_KINDS = {
    "User": (users, users.c.user_id),
    "Group": (groups, groups.c.group_id),
    "Role": (roles, roles.c.role_id),
    "Policy": (managed_policies, managed_policies.c.policy_id),
}
_ACCOUNT = bindparam("account_id")
_IDS = bindparam("ids", expanding=True)


def _aws_policy_in_use():
    """An AWS managed policy attached, or used as a boundary, in this account: three
    index probes per AWS managed policy, whatever the size of the account."""
    mp, pa = managed_policies.c, policy_attachments.c
    attached = select(literal(1)).where(pa.policy_id == mp.policy_id, pa.account_id == _ACCOUNT,
                                        pa.entity_type.in_(ENTITY_TYPES)).exists()
    bounds = [select(literal(1)).where(t.c.account_id == _ACCOUNT, t.c.permissions_boundary == mp.arn).exists()
              for t in (users, roles)]
    return and_(mp.account_id.is_(None), or_(attached, *bounds))


def _gaad_query(kind: str, scope: str, after: bool) -> Query:
    table, id_col = GAAD_KINDS[kind]
    where = _aws_policy_in_use() if scope == "aws" else table.c.account_id == _ACCOUNT
    stmt = select(table).where(where)
    if after:
        stmt = stmt.where(tuple_(table.c.created_at, id_col) > tuple_(bindparam("after_at"), bindparam("after_id")))
    return Query(stmt.order_by(table.c.created_at, id_col).limit(bindparam("limit")))


_GAAD = {(kind, scope, after): _gaad_query(kind, scope, after)
         for kind in GAAD_KINDS for scope in ("account", "aws") for after in (False, True)
         if scope == "account" or kind == "Policy"}


def gaad_entities(tx, account_id: str, kind: str, after: list | None, limit: int,
                  local: bool = True, aws: bool = True):
    """Up to `limit` rows of one kind after the keyset position `after` ([created_at, id]).

    Each statement walks an (account_id, created_at, id) index from the marker on, so a
    page costs the same wherever the marker points. Policies are the account's own and
    the AWS managed ones in use: two walks of that index, merged.
    """
    scopes = ["account"]
    if kind == "Policy":
        scopes = (["account"] if local else []) + (["aws"] if aws else [])
    params = {"account_id": account_id, "limit": limit}
    if after is not None:
        params.update(after_at=after[0], after_id=after[1])
    rows = []
    for scope in scopes:
        rows += _GAAD[kind, scope, after is not None].all(tx, **params)
    if len(scopes) > 1:
        rows.sort(key=lambda r: (r.created_at, r.policy_id))
    return rows[:limit]


def probe_by_index(tx) -> None:
    """For the rest of this (read) transaction, have PostgreSQL look a page's ids up in the
    indexes. Once a relation table holds some 25,000 rows its planner prices a scan of the
    whole table (and a parallel one) below 1,000 index probes, so every page would cost the
    table's size and a walk the square of the account's; the probes cost the same at any
    size. SQLite's plans are fixed by the indexes (tests/unit/test_store_plans.py)."""
    if tx.conn.dialect.name == "postgresql":
        tx.conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        tx.conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")


def _grouped(query: Query, tx, ids: list, key: str, **params) -> dict:
    """{key value: [rows]} of `query` run over `ids` in IN-lists of CHUNK."""
    out = defaultdict(list)
    for part in _chunks(ids):
        for r in query.all(tx, ids=part, **params):
            out[getattr(r, key)].append(r)
    return out


_ip = inline_policies.c
_INLINE = Query(select(_ip.entity_id, _ip.name, _ip.document)
                .where(_ip.entity_type == bindparam("entity_type"), _ip.entity_id.in_(_IDS))
                .order_by(_ip.entity_id, _ip.name))


def inline_policies_of(tx, entity_type: str, ids: list) -> dict:
    return {k: [{"PolicyName": r.name, "PolicyDocument": r.document} for r in rows]
            for k, rows in _grouped(_INLINE, tx, ids, "entity_id", entity_type=entity_type).items()}


_pa, _mp = policy_attachments.c, managed_policies.c
_ATTACHED = Query(select(_pa.entity_id, _mp.name, _mp.arn)
                  .select_from(policy_attachments.join(managed_policies, _mp.policy_id == _pa.policy_id))
                  .where(_pa.entity_type == bindparam("entity_type"), _pa.entity_id.in_(_IDS))
                  .order_by(_pa.entity_id, _mp.name, _mp.arn))


def attached_policies_of(tx, entity_type: str, ids: list) -> dict:
    return {k: [{"PolicyName": r.name, "PolicyArn": r.arn} for r in rows]
            for k, rows in _grouped(_ATTACHED, tx, ids, "entity_id", entity_type=entity_type).items()}


_GROUP_NAMES = Query(select(group_members.c.user_id, groups.c.name)
                     .select_from(group_members.join(groups, groups.c.group_id == group_members.c.group_id))
                     .where(group_members.c.user_id.in_(_IDS))
                     .order_by(group_members.c.user_id, groups.c.name_lower))


def group_names_of_users(tx, user_ids: list) -> dict:
    return {k: [r.name for r in rows] for k, rows in _grouped(_GROUP_NAMES, tx, user_ids, "user_id").items()}


_ipr, _ipc = instance_profile_roles.c, instance_profiles.c
_PROFILES_OF_ROLES = Query(select(_ipr.role_id, instance_profiles)
                           .select_from(instance_profile_roles.join(instance_profiles,
                                                                    _ipc.profile_id == _ipr.profile_id))
                           .where(_ipr.role_id.in_(_IDS)).order_by(_ipc.name_lower))
_ROLES_OF_PROFILES = Query(select(_ipr.profile_id, roles)
                           .select_from(instance_profile_roles.join(roles, roles.c.role_id == _ipr.role_id))
                           .where(_ipr.profile_id.in_(_IDS)).order_by(roles.c.name_lower))


def instance_profiles_of_roles(tx, role_ids: list) -> tuple[dict, dict]:
    """({role_id: [profile rows]}, {profile_id: [role rows]}) for the roles' profiles."""
    by_role = _grouped(_PROFILES_OF_ROLES, tx, role_ids, "role_id")
    profile_ids = sorted({r.profile_id for rows in by_role.values() for r in rows})
    return by_role, _grouped(_ROLES_OF_PROFILES, tx, profile_ids, "profile_id")


_pv = policy_versions.c
_VERSIONS = Query(select(policy_versions).where(_pv.policy_id.in_(_IDS))
                  .order_by(_pv.policy_id, _pv.created_at, _pv.version_id))


def versions_of_policies(tx, policy_ids: list) -> dict:
    return _grouped(_VERSIONS, tx, policy_ids, "policy_id")


_ATTACHMENT_COUNTS = Query(select(_pa.policy_id, func.count().label("n")).where(
    _pa.account_id == _ACCOUNT, _pa.entity_type.in_(ENTITY_TYPES), _pa.policy_id.in_(_IDS))
    .group_by(_pa.policy_id))
_BOUNDARY_COUNTS = [Query(select(t.c.permissions_boundary.label("arn"), func.count().label("n"))
                          .where(t.c.account_id == _ACCOUNT, t.c.permissions_boundary.in_(_IDS))
                          .group_by(t.c.permissions_boundary))
                    for t in (users, roles)]


def policy_usage(tx, account_id: str, rows: list) -> tuple[dict, dict]:
    """({policy_id: attachments}, {arn: boundary uses}) within this account."""
    attachments, boundaries = {}, defaultdict(int)
    for part in _chunks([r.policy_id for r in rows]):
        attachments.update((r.policy_id, r.n) for r in _ATTACHMENT_COUNTS.all(tx, account_id=account_id, ids=part))
    for query in _BOUNDARY_COUNTS:
        for part in _chunks([r.arn for r in rows]):
            for r in query.all(tx, account_id=account_id, ids=part):
                boundaries[r.arn] += r.n
    return attachments, boundaries
