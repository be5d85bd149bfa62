"""Model-based property test of the IAM entity graph, over HTTP on both engines.

A hypothesis state machine drives random sequences of the entity operations (users,
groups, roles, managed policies and their versions, attachments, inline policies,
instance profiles, renames and moves), valid and invalid alike, against a dedicated iamd
and against the in-memory model of iam_model.py. Every call's outcome (success, or error
code, HTTP status and, where the reference fixes it, message) must be one the model
allows. After each step the server's views of what the step touched must equal the
model's; at the end of each example every view of every entity is compared.

Small name pools make collisions, conflicts and case-insensitive clashes frequent, and
the account's quotas are lowered (accounts.settings, there is no API for it) to just
above the pools so that every LimitExceeded path is reachable in a few steps.

Budget: IAMD_HYPOTHESIS_PROFILE=ci (default) keeps the module well under a minute per
engine on two shared cores; `deep` is for a long hunt after touching the entity families.
"""

import functools
import json
import os
import secrets
from collections import Counter

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from iam_model import KINDS, STATUS, Model
from sqlalchemy import create_engine, select, update

from iamd.store.schema.core import accounts

_COMMON = dict(deadline=None, print_blob=True, suppress_health_check=list(HealthCheck))
# Shrinking costs minutes at a second an example, so CI reports the first failing sequence
# as found (the failing step names the call and the divergence); `deep` shrinks, and
# replays what CI saved in .hypothesis/ first.
settings.register_profile("iamd-model-ci", max_examples=15, stateful_step_count=40,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate], **_COMMON)
settings.register_profile("iamd-model-deep", max_examples=300, stateful_step_count=60, **_COMMON)
PROFILE = settings.get_profile("iamd-model-" + os.environ.get("IAMD_HYPOTHESIS_PROFILE", "ci"))

RUN = secrets.token_hex(3)
ROOT = f"/model-{RUN}/"
LETTER = {"user": "u", "group": "g", "role": "r", "profile": "i", "policy": "p"}
POOL = {"user": 4, "group": 4, "role": 4, "profile": 3, "policy": 4}  # names per kind
# Quotas just above the pools; per-account counts are added to the baseline at run time.
ACCOUNT_ROOM = {"user": ("UsersQuota", 3), "group": ("GroupsQuota", 3), "role": ("RolesQuota", 3),
                "profile": ("InstanceProfilesQuota", 2), "policy": ("PoliciesQuota", 3)}
SUMMARY_KEY = {"user": "Users", "group": "Groups", "role": "Roles", "profile": "InstanceProfiles",
               "policy": "Policies"}
FIXED_QUOTAS = {"GroupsPerUserQuota": 2, "AttachedPoliciesPerUserQuota": 2,
                "AttachedPoliciesPerGroupQuota": 2, "AttachedPoliciesPerRoleQuota": 2,
                "VersionsPerPolicyQuota": 3, "InstanceProfileRolesQuota": 1, "PolicySizeQuota": 150,
                "UserPolicySizeQuota": 250, "GroupPolicySizeQuota": 280, "RolePolicySizeQuota": 310}

ACTIONS = ["s3:GetObject", "s3:PutObject", "ec2:DescribeInstances", "sqs:SendMessage",
           "sns:Publish", "dynamodb:GetItem"]
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ID_PREFIX = {"user": "AIDA", "group": "AGPA", "role": "AROA", "profile": "AIPA", "policy": "ANPA"}
NOUN = {"user": "User", "group": "Group", "role": "Role"}

# Compact JSON: its size is its length, whitespace rules aside. Up to 4 actions puts some
# documents over PolicySizeQuota and some pairs over the inline quotas.
documents = st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=4, unique=True).map(
    lambda acts: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": acts, "Resource": "*"}]}, separators=(",", ":")))
spellings = st.sampled_from(["lower", "upper", "title"])
subpaths = st.sampled_from(["", "sub/"])
entity_kinds = st.sampled_from(KINDS)
slots = st.integers(0, 3)
profile_slots = st.integers(0, 2)
# A reference to an entity (see IamMachine.ref): small values name any slot of the pool,
# taken or free; the rest name an existing entity, so that most steps meet one.
refs = st.integers(0, 15)
inline_names = st.sampled_from(["InlineA", "InlineB"])
version_refs = st.integers(0, 9)  # see IamMachine.version_ref


def spell(name: str, how: str) -> str:
    return {"lower": name, "upper": name.upper(), "title": name.title()}[how]


class Target:
    """The dedicated server under test, its account-settings writer and the ids it issued."""

    def __init__(self, srv):
        self.srv, self.iam = srv, srv.client("iam")
        url = (srv.database_url.replace("postgresql://", "postgresql+psycopg://") if srv.database_url
               else f"sqlite:///{srv.data_dir / 'iamd.db'}")
        self.db = create_engine(url, connect_args={} if srv.database_url else {"timeout": 30})
        self.seen_ids: set[str] = set()
        self.outcomes: Counter = Counter()  # "op: code" -> calls, printed to show coverage

    def set_quotas(self, quotas: dict) -> None:
        """Per-account quotas live in accounts.settings and are read on every request."""
        where = accounts.c.account_id == self.srv.account_id
        with self.db.begin() as conn:
            stored = json.loads(conn.execute(select(accounts.c.settings).where(where)).scalar() or "{}")
            stored["quotas"] = quotas
            conn.execute(update(accounts).where(where).values(settings=json.dumps(stored)))


@pytest.fixture(scope="module")
def target(server, server_factory):
    srv = server_factory(server.engine, extra_args=["--no-access-log"]).start()
    t = Target(srv)
    yield t
    t.db.dispose()


def pages(iam, op: str, **params) -> list:
    """Every page, three items a page so that Marker paging is exercised too."""
    return list(iam.get_paginator(op).paginate(**params, PaginationConfig={"PageSize": 3}))


def items(iam, op: str, key: str, **params) -> list:
    return [x for page in pages(iam, op, **params) for x in page[key]]


def sweep(iam, prefix: str) -> list[str]:
    """Delete every entity under `prefix`, dependents first; the errors met, if any."""
    problems = []

    def do(op, **params):
        try:
            getattr(iam, op)(**params)
        except ClientError as exc:
            problems.append(f"{op}{params}: {exc}")

    for p in items(iam, "list_instance_profiles", "InstanceProfiles", PathPrefix=prefix):
        for r in p["Roles"]:
            do("remove_role_from_instance_profile", InstanceProfileName=p["InstanceProfileName"],
               RoleName=r["RoleName"])
        do("delete_instance_profile", InstanceProfileName=p["InstanceProfileName"])
    for kind, op, key in (("user", "list_users", "Users"), ("group", "list_groups", "Groups"),
                          ("role", "list_roles", "Roles")):
        noun = NOUN[kind]
        for e in items(iam, op, key, PathPrefix=prefix):
            name = {f"{noun}Name": e[f"{noun}Name"]}
            if kind == "user":
                for g in items(iam, "list_groups_for_user", "Groups", **name):
                    do("remove_user_from_group", GroupName=g["GroupName"], **name)
            if kind == "role":
                for p in items(iam, "list_instance_profiles_for_role", "InstanceProfiles", **name):
                    do("remove_role_from_instance_profile", InstanceProfileName=p["InstanceProfileName"], **name)
            for a in items(iam, f"list_attached_{kind}_policies", "AttachedPolicies", **name):
                do(f"detach_{kind}_policy", PolicyArn=a["PolicyArn"], **name)
            for n in items(iam, f"list_{kind}_policies", "PolicyNames", **name):
                do(f"delete_{kind}_policy", PolicyName=n, **name)
            do(f"delete_{kind}", **name)
    for p in items(iam, "list_policies", "Policies", Scope="Local", PathPrefix=prefix):
        for v in items(iam, "list_policy_versions", "Versions", PolicyArn=p["Arn"]):
            if not v["IsDefaultVersion"]:
                do("delete_policy_version", PolicyArn=p["Arn"], VersionId=v["VersionId"])
        do("delete_policy", PolicyArn=p["Arn"])
    return problems


def guarded(fn):
    """Note a failed step so that teardown does not bury it under a second failure."""
    @functools.wraps(fn)
    def run(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except BaseException:
            self.failed = True
            raise
    return run


class IamMachine(RuleBasedStateMachine):
    def __init__(self, target: Target):
        super().__init__()
        self.t, self.iam, self.failed = target, target.iam, False
        self.tok = secrets.token_hex(3)
        self.base = f"{ROOT}{self.tok}/"
        summary = self.iam.get_account_summary()["SummaryMap"]
        baseline = {k: summary[SUMMARY_KEY[k]] for k in SUMMARY_KEY}
        quotas = {**FIXED_QUOTAS, **{key: baseline[k] + room for k, (key, room) in ACCOUNT_ROOM.items()}}
        target.set_quotas(quotas)
        self.model = Model(target.srv.account_id, quotas, baseline)
        self.dirty: set[tuple] = set()

    # -- helpers ---------------------------------------------------------------------------

    def name(self, kind: str, slot: int, how: str = "lower") -> str:
        return spell(f"m{self.tok}{LETTER[kind]}{slot}", how)

    def ref(self, kind: str, r: int, how: str = "lower", among: list | None = None) -> str:
        """The name behind reference `r`: below the pool size that slot, else one of the
        existing entities, or of `among` (model ids) when that is not empty. Removals pass
        the related entities so that they mostly meet a relationship to remove."""
        table = self.model.table(kind)
        taken = sorted(int(table[i].name[-1]) for i in (among or table))  # the slot ends each name
        if r < POOL[kind] or not taken:
            return self.name(kind, r % POOL[kind], how)
        return self.name(kind, taken[r % len(taken)], how)

    def policy_arn(self, r: int, among: list | None = None) -> str:
        return self.model.arn("policy", self.base, self.ref("policy", r, among=among))

    def version_ref(self, arn: str, r: int) -> str:
        """v1-v3 for small `r`, else one of the policy's existing versions."""
        pid = self.model.policy_by_arn(arn)
        existing = sorted(self.model.policies[pid].versions) if pid is not None else []
        return f"v{r + 1}" if r < 3 or not existing else existing[r % len(existing)]

    def call(self, expected: list, op: str, **params):
        """Call `op`; its outcome must be success when `expected` is empty, else one of the
        errors in it (code, status, and message where the model fixes one)."""
        try:
            out = getattr(self.iam, op)(**params)
        except ClientError as exc:
            err, status = exc.response["Error"], exc.response["ResponseMetadata"]["HTTPStatusCode"]
            code, message = err.get("Code"), err.get("Message")
            self.t.outcomes[f"{op}: {code}"] += 1
            assert expected, f"{op}{params} failed ({code} {status} {message!r}); the model expects success"
            allowed = [e for e in expected if e.code == code]
            assert allowed, f"{op}{params} gave {code} {message!r}; the model expects {expected}"
            assert status == STATUS[code], f"{op}{params}: {code} with HTTP {status}"
            assert any(e.message in (None, message) for e in allowed), \
                f"{op}{params}: message {message!r}; the model expects {allowed}"
            return None
        self.t.outcomes[f"{op}: ok"] += 1
        assert not expected, f"{op}{params} succeeded; the model expects {expected}"
        return out

    def created(self, kind: str, shape: dict, name: str, path: str) -> None:
        """A Create* output: the name as given, the ARN, a fresh id of the right kind."""
        key = {"profile": "InstanceProfile"}.get(kind, NOUN.get(kind, "Policy"))
        assert shape[f"{key}Name"] == name and shape["Path"] == path
        assert shape["Arn"] == self.model.arn(kind, path, name)
        new_id = shape[f"{key}Id"]
        assert new_id.startswith(ID_PREFIX[kind]) and new_id not in self.t.seen_ids, new_id
        self.t.seen_ids.add(new_id)
        found = self.model.find(kind, name) if kind != "policy" else self.model.policy_by_arn(shape["Arn"])
        self.model.table(kind)[found].server_id = new_id

    def touch(self, *views) -> None:
        self.dirty.update(views)

    @initialize(users=st.sets(slots, min_size=1, max_size=3), groups=st.sets(slots, min_size=1, max_size=3),
                roles=st.sets(slots, min_size=1, max_size=3), policies=st.sets(slots, min_size=1, max_size=3),
                profiles=st.sets(profile_slots, min_size=1, max_size=2), doc=documents)
    @guarded
    def populate(self, users, groups, roles, policies, profiles, doc):
        """Start from a random population so that most steps meet existing entities."""
        for kind, chosen in (("user", users), ("group", groups), ("role", roles)):
            for slot in sorted(chosen):
                self.create_entity(kind, slot, "lower", "")
        for slot in sorted(policies):
            self.create_policy(slot, doc)
        for slot in sorted(profiles):
            self.create_profile(slot, "lower", "")

    # -- users, groups, roles ----------------------------------------------------------------

    @rule(kind=entity_kinds, slot=slots, how=spellings, sub=subpaths)
    @guarded
    def create_entity(self, kind, slot, how, sub):
        name, path, noun = self.name(kind, slot, how), self.base + sub, NOUN[kind]
        params = {f"{noun}Name": name, "Path": path}
        if kind == "role":
            params["AssumeRolePolicyDocument"] = TRUST
        out = self.call(self.model.create(kind, name, path), f"create_{kind}", **params)
        if out:
            self.created(kind, out[noun], name, path)
        self.touch(("list", kind))

    @rule(kind=entity_kinds, r=refs, how=spellings)
    @guarded
    def delete_entity(self, kind, r, how):
        name = self.ref(kind, r, how)
        self.call(self.model.delete(kind, name), f"delete_{kind}", **{f"{NOUN[kind]}Name": name})
        self.touch(("list", kind))

    @rule(kind=st.sampled_from(["user", "group"]), r=refs, how=spellings, to=slots, to_how=spellings,
          change=st.sampled_from(["name", "path", "both"]), sub=subpaths)
    @guarded
    def update_entity(self, kind, r, how, to, to_how, change, sub):
        """UpdateUser / UpdateGroup: renames keep every relationship (they key on ids)."""
        noun, name = NOUN[kind], self.ref(kind, r, how)
        params = {f"{noun}Name": name}
        new_name = new_path = None
        # Renaming an entity to its own name in another case is not documented: not drawn.
        if change != "path" and self.name(kind, to) != name.lower():
            new_name = params[f"New{noun}Name"] = self.name(kind, to, to_how)
        if change != "name" or new_name is None:
            new_path = params["NewPath"] = self.base + sub
        self.call(self.model.update(kind, name, new_name, new_path), f"update_{kind}", **params)
        self.touch(("list", kind))
        i = self.model.find(kind, new_name or name)
        if i is None:
            return
        e = self.model.entities[kind][i]
        related = [("user_groups", u) for u in self.model.members(i)] if kind == "group" else \
            [("members", g) for g in e.groups] + [("user_groups", i)]
        self.touch(*related, *[("policy", p) for p in e.attached])

    @rule(group=refs, g_how=spellings, user=refs, u_how=spellings)
    @guarded
    def add_user_to_group(self, group, g_how, user, u_how):
        g, u = self.ref("group", group, g_how), self.ref("user", user, u_how)
        self.call(self.model.add_to_group(g, u), "add_user_to_group", GroupName=g, UserName=u)
        self.touch_membership(g, u)

    @rule(group=refs, g_how=spellings, user=refs, u_how=spellings)
    @guarded
    def remove_user_from_group(self, group, g_how, user, u_how):
        users = self.model.entities["user"]
        u = self.ref("user", user, u_how, among=[i for i, e in users.items() if e.groups])
        uid = self.model.find("user", u)
        g = self.ref("group", group, g_how, among=sorted(users[uid].groups) if uid is not None else None)
        self.call(self.model.remove_from_group(g, u), "remove_user_from_group", GroupName=g, UserName=u)
        self.touch_membership(g, u)

    def touch_membership(self, g: str, u: str) -> None:
        gid, uid = self.model.find("group", g), self.model.find("user", u)
        if gid is not None:
            self.touch(("members", gid))
        if uid is not None:
            self.touch(("user_groups", uid))

    # -- managed policies ----------------------------------------------------------------------

    @rule(slot=slots, doc=documents)
    @guarded
    def create_policy(self, slot, doc):
        name = self.name("policy", slot)
        out = self.call(self.model.create_policy(name, self.base, doc), "create_policy",
                        PolicyName=name, Path=self.base, PolicyDocument=doc)
        if out:
            self.created("policy", out["Policy"], name, self.base)
            assert out["Policy"]["DefaultVersionId"] == "v1" and out["Policy"]["AttachmentCount"] == 0
            self.touch(("versions", self.model.policy_by_arn(out["Policy"]["Arn"])))
        self.touch(("list", "policy"))

    @rule(r=refs)
    @guarded
    def delete_policy(self, r):
        arn = self.policy_arn(r)
        self.call(self.model.delete_policy(arn), "delete_policy", PolicyArn=arn)
        self.touch(("list", "policy"))

    @rule(r=refs, doc=documents, set_default=st.booleans())
    @guarded
    def create_policy_version(self, r, doc, set_default):
        arn = self.policy_arn(r)
        expected, vid = self.model.create_version(arn, doc, set_default)
        out = self.call(expected, "create_policy_version", PolicyArn=arn, PolicyDocument=doc,
                        SetAsDefault=set_default)
        if out:
            got = out["PolicyVersion"]
            assert (got["VersionId"], got["IsDefaultVersion"]) == (vid, set_default), got
        self.touch_versions(arn)

    @rule(r=refs, version=version_refs)
    @guarded
    def set_default_policy_version(self, r, version):
        arn = self.policy_arn(r)
        vid = self.version_ref(arn, version)
        self.call(self.model.set_default(arn, vid), "set_default_policy_version", PolicyArn=arn, VersionId=vid)
        self.touch_versions(arn)

    @rule(r=refs, version=version_refs)
    @guarded
    def delete_policy_version(self, r, version):
        arn = self.policy_arn(r)
        vid = self.version_ref(arn, version)
        self.call(self.model.delete_version(arn, vid), "delete_policy_version", PolicyArn=arn, VersionId=vid)
        self.touch_versions(arn)

    def touch_versions(self, arn: str) -> None:
        pid = self.model.policy_by_arn(arn)
        if pid is not None:
            self.touch(("versions", pid), ("policy", pid))

    @rule(kind=entity_kinds, r=refs, how=spellings, policy=refs)
    @guarded
    def attach_policy(self, kind, r, how, policy):
        """Attach{User,Group,Role}Policy."""
        name, arn = self.ref(kind, r, how), self.policy_arn(policy)
        self.call(self.model.attach(kind, name, arn), f"attach_{kind}_policy",
                  **{f"{NOUN[kind]}Name": name}, PolicyArn=arn)
        self.touch_attachment(kind, name, arn)

    @rule(kind=entity_kinds, r=refs, how=spellings, policy=refs)
    @guarded
    def detach_policy(self, kind, r, how, policy):
        """Detach{User,Group,Role}Policy."""
        table = self.model.entities[kind]
        name = self.ref(kind, r, how, among=[i for i, e in table.items() if e.attached])
        i = self.model.find(kind, name)
        arn = self.policy_arn(policy, among=sorted(table[i].attached) if i is not None else None)
        self.call(self.model.detach(kind, name, arn), f"detach_{kind}_policy",
                  **{f"{NOUN[kind]}Name": name}, PolicyArn=arn)
        self.touch_attachment(kind, name, arn)

    def touch_attachment(self, kind: str, name: str, arn: str) -> None:
        i, pid = self.model.find(kind, name), self.model.policy_by_arn(arn)
        if i is not None:
            self.touch(("attached", kind, i))
        if pid is not None:
            self.touch(("policy", pid))

    # -- inline policies -------------------------------------------------------------------------

    @rule(kind=entity_kinds, r=refs, how=spellings, policy_name=inline_names, doc=documents)
    @guarded
    def put_inline(self, kind, r, how, policy_name, doc):
        name = self.ref(kind, r, how)
        self.call(self.model.put_inline(kind, name, policy_name, doc), f"put_{kind}_policy",
                  **{f"{NOUN[kind]}Name": name}, PolicyName=policy_name, PolicyDocument=doc)
        self.touch_inline(kind, name)

    @rule(kind=entity_kinds, r=refs, how=spellings, policy_name=inline_names)
    @guarded
    def delete_inline(self, kind, r, how, policy_name):
        name = self.ref(kind, r, how)
        self.call(self.model.delete_inline(kind, name, policy_name), f"delete_{kind}_policy",
                  **{f"{NOUN[kind]}Name": name}, PolicyName=policy_name)
        self.touch_inline(kind, name)

    def touch_inline(self, kind: str, name: str) -> None:
        i = self.model.find(kind, name)
        if i is not None:
            self.touch(("inline", kind, i))

    # -- instance profiles -----------------------------------------------------------------------

    @rule(slot=profile_slots, how=spellings, sub=subpaths)
    @guarded
    def create_profile(self, slot, how, sub):
        name, path = self.name("profile", slot, how), self.base + sub
        out = self.call(self.model.create_profile(name, path), "create_instance_profile",
                        InstanceProfileName=name, Path=path)
        if out:
            self.created("profile", out["InstanceProfile"], name, path)
            assert out["InstanceProfile"]["Roles"] == []
        self.touch(("list", "profile"))

    @rule(r=refs, how=spellings)
    @guarded
    def delete_profile(self, r, how):
        name = self.ref("profile", r, how)
        self.call(self.model.delete_profile(name), "delete_instance_profile", InstanceProfileName=name)
        self.touch(("list", "profile"))

    @rule(r=refs, how=spellings, role=refs, r_how=spellings)
    @guarded
    def add_role_to_profile(self, r, how, role, r_how):
        name, role_name = self.ref("profile", r, how), self.ref("role", role, r_how)
        self.call(self.model.add_role(name, role_name), "add_role_to_instance_profile",
                  InstanceProfileName=name, RoleName=role_name)
        self.touch_profile_role(role_name)

    @rule(r=refs, how=spellings, role=refs, r_how=spellings)
    @guarded
    def remove_role_from_profile(self, r, how, role, r_how):
        profiles = self.model.profiles
        name = self.ref("profile", r, how, among=[i for i, p in profiles.items() if p.role is not None])
        i = self.model.find("profile", name)
        held = [profiles[i].role] if i is not None and profiles[i].role is not None else None
        role_name = self.ref("role", role, r_how, among=held)
        self.call(self.model.remove_role(name, role_name), "remove_role_from_instance_profile",
                  InstanceProfileName=name, RoleName=role_name)
        self.touch_profile_role(role_name)

    def touch_profile_role(self, role_name: str) -> None:
        self.touch(("list", "profile"))
        rid = self.model.find("role", role_name)
        if rid is not None:
            self.touch(("role_profiles", rid))

    # -- the server's views against the model ----------------------------------------------------

    @invariant()
    @guarded
    def touched_views_agree(self):
        views, self.dirty = sorted(self.dirty, key=repr), set()
        for view in views:
            self.check(view)

    def all_views(self) -> list[tuple]:
        m = self.model
        views = [("list", k) for k in (*KINDS, "profile", "policy")]
        for kind in KINDS:
            for i in m.entities[kind]:
                views += [("attached", kind, i), ("inline", kind, i)]
        views += [("user_groups", i) for i in m.entities["user"]]
        views += [("members", i) for i in m.entities["group"]]
        views += [("role_profiles", i) for i in m.entities["role"]]
        for pid in m.policies:
            views += [("policy", pid), ("versions", pid)]
        return views

    def check(self, view: tuple) -> None:
        getattr(self, f"check_{view[0]}")(*view[1:])

    def check_list(self, kind: str) -> None:
        """ListUsers/ListGroups/ListRoles/ListInstanceProfiles/ListPolicies(Scope=Local)
        under this example's path: names, paths, ARNs, ids (and a profile's role, a
        policy's default version and attachment count, and OnlyAttached)."""
        m, iam = self.model, self.iam
        if kind == "policy":
            got = [(p["PolicyName"], p["Path"], p["Arn"], p["PolicyId"], p["DefaultVersionId"],
                    p["AttachmentCount"])
                   for p in items(iam, "list_policies", "Policies", Scope="Local", PathPrefix=self.base)]
            want = [(p.name, p.path, p.arn, p.server_id, p.default, sum(map(len, m.attached_to(i).values())))
                    for i, p in m.policies.items()]
            only = items(iam, "list_policies", "Policies", Scope="Local", PathPrefix=self.base, OnlyAttached=True)
            assert sorted(p["PolicyName"] for p in only) == sorted(w[0] for w in want if w[-1]), "OnlyAttached"
        elif kind == "profile":
            got = [(p["InstanceProfileName"], p["Path"], p["Arn"], p["InstanceProfileId"],
                    [r["RoleName"] for r in p["Roles"]])
                   for p in items(iam, "list_instance_profiles", "InstanceProfiles", PathPrefix=self.base)]
            want = [(p.name, p.path, m.arn("profile", p.path, p.name), p.server_id,
                     [m.entities["role"][p.role].name] if p.role is not None else [])
                    for p in m.profiles.values()]
        else:
            noun = NOUN[kind]
            got = [(e[f"{noun}Name"], e["Path"], e["Arn"], e[f"{noun}Id"])
                   for e in items(iam, f"list_{kind}s", f"{noun}s", PathPrefix=self.base)]
            want = [(e.name, e.path, m.arn(kind, e.path, e.name), e.server_id)
                    for e in m.entities[kind].values()]
        assert sorted(got) == sorted(want), f"{kind} listing"

    def check_attached(self, kind: str, i: int) -> None:
        e = self.model.entities[kind].get(i)
        if e is None:
            return
        got = items(self.iam, f"list_attached_{kind}_policies", "AttachedPolicies", **{f"{NOUN[kind]}Name": e.name})
        want = [(self.model.policies[p].name, self.model.policies[p].arn) for p in e.attached]
        assert sorted((a["PolicyName"], a["PolicyArn"]) for a in got) == sorted(want), f"{kind} {e.name} attached"

    def check_inline(self, kind: str, i: int) -> None:
        e = self.model.entities[kind].get(i)
        if e is None:
            return
        key = {f"{NOUN[kind]}Name": e.name}
        assert sorted(items(self.iam, f"list_{kind}_policies", "PolicyNames", **key)) == sorted(e.inline)
        for policy_name, doc in e.inline.items():
            got = getattr(self.iam, f"get_{kind}_policy")(PolicyName=policy_name, **key)
            assert got[f"{NOUN[kind]}Name"] == e.name and got["PolicyName"] == policy_name
            assert got["PolicyDocument"] == json.loads(doc), f"{kind} {e.name} inline {policy_name}"

    def check_members(self, gid: int) -> None:
        g = self.model.entities["group"].get(gid)
        if g is None:
            return
        out = pages(self.iam, "get_group", GroupName=g.name)
        for page in out:
            assert (page["Group"]["GroupName"], page["Group"]["Path"], page["Group"]["GroupId"]) == \
                (g.name, g.path, g.server_id)
        users = self.model.entities["user"]
        got = sorted((u["UserName"], u["UserId"]) for page in out for u in page["Users"])
        want = sorted((users[u].name, users[u].server_id) for u in self.model.members(gid))
        assert got == want, f"members of {g.name}"

    def check_user_groups(self, uid: int) -> None:
        u = self.model.entities["user"].get(uid)
        if u is None:
            return
        got = items(self.iam, "list_groups_for_user", "Groups", UserName=u.name)
        groups = self.model.entities["group"]
        assert sorted(g["GroupName"] for g in got) == sorted(groups[g].name for g in u.groups), f"groups of {u.name}"

    def check_role_profiles(self, rid: int) -> None:
        r = self.model.entities["role"].get(rid)
        if r is None:
            return
        got = items(self.iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=r.name)
        want = [self.model.profiles[p].name for p in self.model.profiles_of(rid)]
        assert sorted(p["InstanceProfileName"] for p in got) == sorted(want), f"profiles of {r.name}"

    def check_policy(self, pid: int) -> None:
        """GetPolicy's AttachmentCount and default version; ListEntitiesForPolicy, whole
        and filtered by the entities' (possibly moved) paths."""
        p = self.model.policies.get(pid)
        if p is None:
            return
        m, attached = self.model, self.model.attached_to(pid)
        got = self.iam.get_policy(PolicyArn=p.arn)["Policy"]
        assert (got["PolicyName"], got["PolicyId"], got["Path"], got["DefaultVersionId"], got["AttachmentCount"]) == \
            (p.name, p.server_id, p.path, p.default, sum(map(len, attached.values()))), f"GetPolicy {p.name}"
        for prefix in (self.base, self.base + "sub/"):
            out = pages(self.iam, "list_entities_for_policy", PolicyArn=p.arn, PathPrefix=prefix)
            for kind in KINDS:
                noun, table = NOUN[kind], m.entities[kind]
                got = sorted((x[f"{noun}Name"], x[f"{noun}Id"]) for page in out for x in page[f"Policy{noun}s"])
                want = sorted((table[i].name, table[i].server_id) for i in attached[kind]
                              if table[i].path.startswith(prefix))
                assert got == want, f"{kind}s of policy {p.name} under {prefix}"

    def check_versions(self, pid: int) -> None:
        p = self.model.policies.get(pid)
        if p is None:
            return
        got = items(self.iam, "list_policy_versions", "Versions", PolicyArn=p.arn)
        assert sorted((v["VersionId"], v["IsDefaultVersion"]) for v in got) == \
            sorted((v, v == p.default) for v in p.versions), f"versions of {p.name}"
        default = self.iam.get_policy_version(PolicyArn=p.arn, VersionId=p.default)["PolicyVersion"]
        assert default["IsDefaultVersion"] is True and default["Document"] == json.loads(p.versions[p.default])

    def teardown(self):
        try:
            if not self.failed:
                for view in self.all_views():
                    self.check(view)
        finally:
            problems = sweep(self.iam, self.base)
        assert self.failed or not problems, problems


def test_entity_graph_matches_the_model(target):
    try:
        run_state_machine_as_test(lambda: IamMachine(target), settings=PROFILE)
    finally:
        leftovers = sweep(target.iam, ROOT)  # whatever a failed example left behind
        target.set_quotas({})
    print("\n".join(f"{n:6} {k}" for k, n in sorted(target.outcomes.items())))
    assert not leftovers, leftovers
    for op, key in (("list_users", "Users"), ("list_groups", "Groups"), ("list_roles", "Roles"),
                    ("list_instance_profiles", "InstanceProfiles")):
        assert items(target.iam, op, key, PathPrefix=ROOT) == [], op
    assert items(target.iam, "list_policies", "Policies", Scope="Local", PathPrefix=ROOT) == []
