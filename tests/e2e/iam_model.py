"""An in-memory model of IAM's entity graph, for the model-based property test.

Users, groups, roles, customer managed policies (with versions), instance profiles, and the
relationships between them: group membership, managed-policy attachments, inline
policies, the role in a profile. Each operation first works out what AWS answers
(reference §2.3, §2.4, §3) and, when that is success, applies the change; it returns the
errors AWS may answer instead (empty: success). Where AWS's precedence between two
applicable errors is not documented, every applicable error is acceptable.

Entities carry a model id that never changes, so a rename moves only the name, as on the
server, where relationships key on the entity's unique id. Names of users, groups, roles
and profiles are unique case-insensitively and looked up case-insensitively (§2.3).
"""

from dataclasses import dataclass, field
from itertools import count

KINDS = ("user", "group", "role")


@dataclass(frozen=True)
class Err:
    """An error AWS may answer; `message` None where the reference fixes no text."""

    code: str
    message: str | None = None


# The HTTP status of each error code the model predicts (from botocore's model).
STATUS = {"NoSuchEntity": 404, "EntityAlreadyExists": 409, "DeleteConflict": 409,
          "LimitExceeded": 409}

NOT_FOUND = Err("NoSuchEntity")  # what the reference gives no text for


def missing(kind: str, name: str) -> Err:
    """A user, group or role that does not exist, named as the request spelled it (§2.3)."""
    return Err("NoSuchEntity", f"The {kind} with name {name} cannot be found.")


def missing_policy(arn: str) -> Err:
    return Err("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")


def missing_inline(kind: str, policy_name: str) -> Err:
    # the reference quotes the user and role texts only
    return Err("NoSuchEntity", f"The {kind} policy with name {policy_name} cannot be found.") \
        if kind != "group" else NOT_FOUND
MULTIPLE_VERSIONS = ("This policy has more than one version. Before you delete a policy, you must "
                     "delete the policy's versions. The default version is deleted with the policy.")
TOO_MANY_VERSIONS = ("A managed policy can have up to {n} versions. Before you create a new "
                     "version, you must delete an existing version.")


def conflict(what: str) -> Err:
    return Err("DeleteConflict", f"Cannot delete entity, must {what} first.")


def quota_err(name: str, limit: int) -> Err:
    return Err("LimitExceeded", f"Cannot exceed quota for {name}: {limit}")


@dataclass
class Entity:
    name: str
    path: str
    server_id: str = ""
    attached: set = field(default_factory=set)   # model ids of managed policies
    inline: dict = field(default_factory=dict)   # policy name -> document
    groups: set = field(default_factory=set)     # users only: model ids of groups


@dataclass
class Profile:
    name: str
    path: str
    server_id: str = ""
    role: int | None = None


@dataclass
class Policy:
    name: str
    path: str
    arn: str
    server_id: str = ""
    versions: dict = field(default_factory=dict)  # "vN" -> document
    default: str = "v1"
    next_version: int = 2


# Account-wide quota names in LimitExceeded messages; None where the reference gives none.
ACCOUNT_QUOTA = {"user": ("UsersQuota", "UsersPerAccount"), "group": ("GroupsQuota", None),
                 "role": ("RolesQuota", "RolesPerAccount"),
                 "profile": ("InstanceProfilesQuota", None),
                 "policy": ("PoliciesQuota", "PoliciesPerAccount")}
ATTACH_QUOTA = {"user": ("AttachedPoliciesPerUserQuota", "PoliciesPerUser"),
                "group": ("AttachedPoliciesPerGroupQuota", "PoliciesPerGroup"),
                "role": ("AttachedPoliciesPerRoleQuota", "PoliciesPerRole")}
INLINE_QUOTA = {"user": "UserPolicySizeQuota", "group": "GroupPolicySizeQuota",
                "role": "RolePolicySizeQuota"}


def policy_size(document: str) -> int:
    """Characters not counting whitespace (§2.4)."""
    return sum(1 for c in document if not c.isspace())


class Model:
    def __init__(self, account_id: str, quotas: dict, baseline: dict):
        """`quotas`: effective quota values; `baseline`: entities of each account-wide
        kind that exist in the account outside this model (they count against quotas)."""
        self.account_id, self.quotas, self.baseline = account_id, quotas, baseline
        self.entities = {k: {} for k in KINDS}   # kind -> model id -> Entity
        self.profiles: dict[int, Profile] = {}
        self.policies: dict[int, Policy] = {}
        self._ids = count(1)

    # -- lookups -----------------------------------------------------------------------------

    def table(self, kind: str) -> dict:
        """Model id -> entity, for any kind including "profile" and "policy"."""
        return {"profile": self.profiles, "policy": self.policies}[kind] if kind in ("profile", "policy") \
            else self.entities[kind]

    def find(self, kind: str, name: str) -> int | None:
        return next((i for i, e in self.table(kind).items() if e.name.lower() == name.lower()), None)

    def policy_by_arn(self, arn: str) -> int | None:
        return next((i for i, p in self.policies.items() if p.arn == arn), None)

    def arn(self, kind: str, path: str, name: str) -> str:
        noun = {"profile": "instance-profile"}.get(kind, kind)
        return f"arn:aws:iam::{self.account_id}:{noun}{path}{name}"

    def members(self, gid: int) -> list[int]:
        return [u for u, e in self.entities["user"].items() if gid in e.groups]

    def attached_to(self, pid: int) -> dict[str, list[int]]:
        return {k: [i for i, e in self.entities[k].items() if pid in e.attached] for k in KINDS}

    def profiles_of(self, rid: int) -> list[int]:
        return [i for i, p in self.profiles.items() if p.role == rid]

    def _room(self, kind: str) -> Err | None:
        key, label = ACCOUNT_QUOTA[kind]
        limit = self.quotas[key]
        if self.baseline[kind] + len(self.table(kind)) >= limit:
            return quota_err(label, limit) if label else Err("LimitExceeded")
        return None

    # -- users, groups, roles ------------------------------------------------------------------

    def create(self, kind: str, name: str, path: str) -> list[Err]:
        errs = []
        if self.find(kind, name) is not None:
            noun = {"user": "User", "group": "Group", "role": "Role"}[kind]
            errs.append(Err("EntityAlreadyExists", f"{noun} with name {name} already exists."))
        full = self._room(kind)
        if full:
            errs.append(full)
        if not errs:
            self.entities[kind][next(self._ids)] = Entity(name, path)
        return errs

    def delete(self, kind: str, name: str) -> list[Err]:
        i = self.find(kind, name)
        if i is None:
            return [missing(kind, name)]
        e = self.entities[kind][i]
        errs = []
        if (kind == "user" and e.groups) or (kind == "group" and self.members(i)):
            errs.append(conflict("remove users from group"))
        if kind == "role" and self.profiles_of(i):
            errs.append(conflict("remove roles from instance profile"))
        if e.attached:
            errs.append(conflict("detach all policies"))
        if e.inline:
            errs.append(conflict("delete policies"))
        if not errs:
            del self.entities[kind][i]
        return errs

    def update(self, kind: str, name: str, new_name: str | None, new_path: str | None) -> list[Err]:
        """UpdateUser / UpdateGroup: rename and/or move."""
        i = self.find(kind, name)
        errs = [] if i is not None else [missing(kind, name)]
        if new_name is not None:
            other = self.find(kind, new_name)
            if other is not None and other != i:
                noun = {"user": "User", "group": "Group"}[kind]
                errs.append(Err("EntityAlreadyExists", f"{noun} with name {new_name} already exists."))
        if not errs:
            e = self.entities[kind][i]
            e.name = new_name if new_name is not None else e.name
            e.path = new_path if new_path is not None else e.path
        return errs

    def _pair(self, kind: str, name: str, other_kind: str, other: str) -> tuple:
        """Model ids of two named entities, and the errors for those missing (either
        may be reported first when both are)."""
        i, j = self.find(kind, name), self.find(other_kind, other)
        errs = ([missing(kind, name)] if i is None else []) + ([missing(other_kind, other)] if j is None else [])
        return i, j, errs

    def add_to_group(self, group: str, user: str) -> list[Err]:
        gid, uid, errs = self._pair("group", group, "user", user)
        if errs:
            return errs
        u = self.entities["user"][uid]
        if gid in u.groups:
            return []  # a repeated add changes nothing (§3.2)
        limit = self.quotas["GroupsPerUserQuota"]
        if len(u.groups) >= limit:
            return [quota_err("GroupsPerUser", limit)]
        u.groups.add(gid)
        return []

    def remove_from_group(self, group: str, user: str) -> list[Err]:
        gid, uid, errs = self._pair("group", group, "user", user)
        if errs or gid not in self.entities["user"][uid].groups:
            return errs or [NOT_FOUND]
        self.entities["user"][uid].groups.discard(gid)
        return []

    # -- managed policies and attachments --------------------------------------------------------

    def _document_fits(self, document: str) -> Err | None:
        limit = self.quotas["PolicySizeQuota"]
        return quota_err("PolicySize", limit) if policy_size(document) > limit else None

    def create_policy(self, name: str, path: str, document: str) -> list[Err]:
        errs = []
        if any(p.name == name for p in self.policies.values()):
            errs.append(Err("EntityAlreadyExists",
                            f"A policy called {name} already exists. Duplicate names are not allowed."))
        for err in (self._room("policy"), self._document_fits(document)):
            if err:
                errs.append(err)
        if not errs:
            self.policies[next(self._ids)] = Policy(name, path, self.arn("policy", path, name),
                                                    versions={"v1": document})
        return errs

    def delete_policy(self, arn: str) -> list[Err]:
        pid = self.policy_by_arn(arn)
        if pid is None:
            return [missing_policy(arn)]
        errs = []
        if any(self.attached_to(pid).values()):
            errs.append(Err("DeleteConflict", "Cannot delete a policy attached to entities."))
        if len(self.policies[pid].versions) > 1:
            errs.append(Err("DeleteConflict", MULTIPLE_VERSIONS))
        if not errs:
            del self.policies[pid]
        return errs

    def create_version(self, arn: str, document: str, set_default: bool) -> tuple[list[Err], str | None]:
        """Errors, and the version id a success creates."""
        pid = self.policy_by_arn(arn)
        if pid is None:
            return [missing_policy(arn)], None
        p = self.policies[pid]
        errs = [e for e in [self._document_fits(document)] if e]
        limit = self.quotas["VersionsPerPolicyQuota"]
        if len(p.versions) >= limit:
            errs.append(Err("LimitExceeded", TOO_MANY_VERSIONS.format(n=limit)))
        if errs:
            return errs, None
        vid = f"v{p.next_version}"  # numbers are never reused (§3.3)
        p.next_version += 1
        p.versions[vid] = document
        if set_default:
            p.default = vid
        return [], vid

    def delete_version(self, arn: str, vid: str) -> list[Err]:
        pid = self.policy_by_arn(arn)
        if pid is None or vid not in self.policies[pid].versions:
            return [missing_policy(arn) if pid is None else NOT_FOUND]
        p = self.policies[pid]
        if vid == p.default:
            return [Err("DeleteConflict", "Cannot delete the default version of a policy.")]
        del p.versions[vid]
        return []

    def set_default(self, arn: str, vid: str) -> list[Err]:
        pid = self.policy_by_arn(arn)
        if pid is None or vid not in self.policies[pid].versions:
            return [missing_policy(arn) if pid is None else NOT_FOUND]
        self.policies[pid].default = vid
        return []

    def _entity_and_policy(self, kind: str, name: str, arn: str) -> tuple:
        i, pid = self.find(kind, name), self.policy_by_arn(arn)
        errs = ([missing(kind, name)] if i is None else []) + ([missing_policy(arn)] if pid is None else [])
        return i, pid, errs

    def attach(self, kind: str, name: str, arn: str) -> list[Err]:
        i, pid, errs = self._entity_and_policy(kind, name, arn)
        if errs:
            return errs
        e = self.entities[kind][i]
        if pid in e.attached:
            return []  # attaching twice changes nothing (§3.2)
        key, label = ATTACH_QUOTA[kind]
        if len(e.attached) >= self.quotas[key]:
            return [quota_err(label, self.quotas[key])]
        e.attached.add(pid)
        return []

    def detach(self, kind: str, name: str, arn: str) -> list[Err]:
        i, pid, errs = self._entity_and_policy(kind, name, arn)
        if errs or pid not in self.entities[kind][i].attached:
            return errs or [NOT_FOUND]
        self.entities[kind][i].attached.discard(pid)
        return []

    # -- inline policies -----------------------------------------------------------------------

    def put_inline(self, kind: str, name: str, policy_name: str, document: str) -> list[Err]:
        i = self.find(kind, name)
        if i is None:
            return [missing(kind, name)]
        e = self.entities[kind][i]
        # Put overwrites a same-named policy, so only the others count beside the new one.
        total = policy_size(document) + sum(policy_size(d) for n, d in e.inline.items() if n != policy_name)
        limit = self.quotas[INLINE_QUOTA[kind]]
        if total > limit:
            return [Err("LimitExceeded", f"Maximum policy size of {limit} bytes exceeded for {kind} {e.name}")]
        e.inline[policy_name] = document
        return []

    def delete_inline(self, kind: str, name: str, policy_name: str) -> list[Err]:
        i = self.find(kind, name)
        if i is None:
            return [missing(kind, name)]
        if policy_name not in self.entities[kind][i].inline:
            return [missing_inline(kind, policy_name)]
        del self.entities[kind][i].inline[policy_name]
        return []

    # -- instance profiles ---------------------------------------------------------------------

    def create_profile(self, name: str, path: str) -> list[Err]:
        errs = []
        if self.find("profile", name) is not None:
            errs.append(Err("EntityAlreadyExists", f"Instance Profile {name} already exists."))
        full = self._room("profile")
        if full:
            errs.append(full)
        if not errs:
            self.profiles[next(self._ids)] = Profile(name, path)
        return errs

    def delete_profile(self, name: str) -> list[Err]:
        i = self.find("profile", name)
        if i is None:
            return [NOT_FOUND]
        if self.profiles[i].role is not None:
            return [conflict("remove roles from instance profile")]
        del self.profiles[i]
        return []

    def _profile_and_role(self, profile: str, role: str) -> tuple:
        i, rid = self.find("profile", profile), self.find("role", role)
        return i, rid, ([NOT_FOUND] if i is None else []) + ([missing("role", role)] if rid is None else [])

    def add_role(self, profile: str, role: str) -> list[Err]:
        i, rid, errs = self._profile_and_role(profile, role)
        if errs:
            return errs
        if self.profiles[i].role is not None:  # one role per profile, even the same one again
            return [quota_err("InstanceSessionsPerInstanceProfile", 1)]
        self.profiles[i].role = rid
        return []

    def remove_role(self, profile: str, role: str) -> list[Err]:
        i, rid, errs = self._profile_and_role(profile, role)
        if errs or self.profiles[i].role != rid:
            return errs or [NOT_FOUND]
        self.profiles[i].role = None
        return []
