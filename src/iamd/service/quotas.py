"""AWS's default IAM quotas, as data. An account may override them in accounts.settings
(JSON `{"quotas": {"UsersQuota": 10000}}`); `quota(ctx, key)` reads the effective value.

Keys follow GetAccountSummary's SummaryMap where it has one.
"""

import json

from sqlalchemy import bindparam, select, update

from ..protocol.errors import limit_exceeded
from ..store.fastq import Query
from ..store.schema.core import accounts

DEFAULTS = {
    "UsersQuota": 5000,
    "GroupsQuota": 300,
    "RolesQuota": 1000,
    "InstanceProfilesQuota": 1000,
    "PoliciesQuota": 1500,
    "PolicySizeQuota": 6144,
    "PolicyVersionsInUseQuota": 10000,
    "VersionsPerPolicyQuota": 5,
    "UserPolicySizeQuota": 2048,
    "GroupPolicySizeQuota": 5120,
    "RolePolicySizeQuota": 10240,
    "AssumeRolePolicySizeQuota": 2048,
    "GroupsPerUserQuota": 10,
    "AttachedPoliciesPerUserQuota": 10,
    "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10,
    "AccessKeysPerUserQuota": 2,
    "SigningCertificatesPerUserQuota": 2,
    "ServerCertificatesQuota": 20,
    "MFADevicesQuota": 5000,
    "MFADevicesPerUserQuota": 8,
    "SSHPublicKeysPerUserQuota": 5,
    "ProvidersQuota": 100,
    "GlobalEndpointTokenVersion": 1,
    "InstanceProfileRolesQuota": 1,
    "OpenIdConnectClientIdsQuota": 100,
    "TagsPerEntityQuota": 50,
}


_SETTINGS = Query(select(accounts.c.settings).where(accounts.c.account_id == bindparam("account_id")))


def account_quotas(tx, account_id: str) -> dict:
    raw = _SETTINGS.scalar(tx, account_id=account_id)  # read by every create: the fast path
    overrides = json.loads(raw or "{}").get("quotas", {})
    return {**DEFAULTS, **overrides}


def set_quotas(tx, account_id: str, overrides: dict[str, int]) -> None:
    """Merge `overrides` into the account's quota settings (`iamd serve --quota K=N`)."""
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown quota {unknown[0]!r}; known: {', '.join(sorted(DEFAULTS))}")
    row = tx.execute(select(accounts.c.settings).where(accounts.c.account_id == account_id)).scalar()
    settings = json.loads(row or "{}")
    settings["quotas"] = {**settings.get("quotas", {}), **overrides}
    tx.execute(update(accounts).where(accounts.c.account_id == account_id)
               .values(settings=json.dumps(settings, sort_keys=True)))


def quota(ctx, key: str) -> int:
    cache = ctx.extra.setdefault("quotas", None)
    if cache is None:
        cache = ctx.extra["quotas"] = account_quotas(ctx.tx, ctx.account_id)
    return cache[key]


def within_quota(ctx, key: str, name: str, total: int) -> None:
    """LimitExceeded, worded as AWS words it (`Cannot exceed quota for NAME: N`), unless
    `total` (what the account or entity would hold after the call: a count, a size) stays
    within quota `key`."""
    limit = quota(ctx, key)
    if total > limit:
        raise limit_exceeded(f"Cannot exceed quota for {name}: {limit}")
