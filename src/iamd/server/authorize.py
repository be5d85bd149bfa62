"""The seam where an authenticated caller is authorized for an operation.

Runs inside the operation's transaction, before its handler (server/app.py), so a denied
call writes nothing. For the operation's row of the table (policy/actions.py) it builds
each request the engine evaluates: the action, the resource ARN (entities' stored paths
and tags read in the same transaction) and the request context as AWS supplies it
(reference §6.5/§6.6), evaluates the caller's cached PolicySet (store/principal_policies.py)
and raises AccessDenied in AWS's words. Root may do anything in its account; the implicit
grants of the table (GetCallerIdentity; ChangePassword and GetAccountPasswordPolicy under
AllowUsersToChangePassword) hold whatever the policies say.

Operations that change what a principal may do bump the account's policy generation in
their transaction, whatever the auth mode, so every worker's cache stays true.

An STS session (auth/session_tokens.py) acts with its role's (or user's) policies and
boundary, its session policies (`PolicySet.session`), its session tags over the role's
tags, and the context its claims give (aws:TokenIssueTime, aws:MultiFactorAuth*,
aws:SourceIdentity, aws:FederatedProvider); what each kind of session may call at all is
the table's `SESSION_LIMITS`. Assuming a role (rows marked `trust`) is decided with the
role's trust policy by service/trust.py, called from the handler through `assume` once it
has found the role and checked MFA.
"""

import re
import time
from dataclasses import dataclass
from typing import NamedTuple

from ..auth.principal import Principal
from ..policy.actions import (ALWAYS, AWS_MANAGED_POLICY, CHANGES_MANAGED_POLICY, DELEGATION_OWNER, OPERATIONS,
                              PASSWORD_CHANGE, POLICY_CHANGES, SESSION_LIMITS, TRUST, Check)
from ..policy.compiled import compile_policy
from ..policy.denials import access_denied_message
from ..policy.evaluate import IMPLICIT_DENY, Caller, PolicySet, PolicySource, Request, evaluate
from ..protocol.errors import AWSError
from ..store.certificates import ServerCertificateRepo
from ..store.groups import GroupRepo
from ..store.instance_profiles import InstanceProfileRepo
from ..store.keys import lookup_key
from ..store.password_policy import PasswordPolicyRepo
from ..store.policies import PolicyRepo
from ..store.principal_policies import PolicyCache, PrincipalPolicies, bump
from ..store.roles import RoleRepo
from ..store.tags import TagRepo
from ..store.users import UserRepo

_PLACEHOLDER = re.compile(r"\{([^}]*)\}")
# Resource types whose tags AWS also offers as iam:ResourceTag/<k>.
_IAM_RESOURCE_TAGS = frozenset({"user", "role"})


class _Principal:
    """What the cache keeps per principal: the compiled PolicySet, its tags (as context
    entries and as pairs), its boundary's ARN, and the decisions already taken. A decision
    is a pure function of the policies and the request, so the same request (same action,
    resource and context, down to the second of aws:CurrentTime) is answered from memory
    until a policy change drops the whole entry."""

    __slots__ = ("policies", "tag_context", "tags", "boundary_arn", "decisions", "allowed")

    def __init__(self, p: PrincipalPolicies | None, base: "_Principal | None" = None,
                 session: tuple | None = None, tags: tuple = ()):
        if p is not None:
            sources = tuple(PolicySource(s.id, s.type, compile_policy(s.document)) for s in p.identity)
            boundary = PolicySource(p.boundary.id, p.boundary.type, compile_policy(p.boundary.document)) \
                if p.boundary is not None else None
            self.policies = PolicySet(sources, boundary)
            self.tags, self.boundary_arn = p.tags, p.boundary_arn
        else:  # a session over `base`: its session policies and tags on top
            self.policies = PolicySet(base.policies.identity, base.policies.boundary, session)
            own = {k.lower() for k, _ in tags}
            self.tags = tuple(t for t in base.tags if t[0].lower() not in own) + tuple(tags)
            self.boundary_arn = base.boundary_arn
        self.tag_context = {f"aws:principaltag/{k.lower()}": v for k, v in self.tags}
        self.decisions: dict = {}
        self.allowed: set = set()  # whole calls allowed (see `_call_key`)

    def decide(self, req: Request):
        key = (req.action, req.resource, tuple(req.context.items()))
        decision = self.decisions.get(key)
        if decision is None:
            decision = evaluate(req, self.policies, decision_only=True)
            if len(self.decisions) >= MAX_DECISIONS:
                self.decisions.clear()
            self.decisions[key] = decision
        return decision


MAX_DECISIONS = 256


def _call_key(operation: str, params: dict, caller: Principal, peer: "Peer", ctx):
    """What a whole call's decision depends on beside the principal's policies (whose cache
    entry holds the answer, and goes with any policy change): the operation and its
    parameters (each check's resource and request keys come from them), the caller and its
    session, the connection, the region, and the second (aws:CurrentTime). None when a
    parameter is a list or a map (tags, for one): such calls are decided afresh."""
    key = (operation, *params.items(), caller.arn, caller.access_key_id, peer.ip, peer.secure, peer.user_agent,
           ctx.region, int(ctx.now))
    try:
        hash(key)  # strings and numbers: their hashes are cached, so `in` hashes it again cheaply
    except TypeError:
        return None
    return key


def _kept(template: str, entity) -> bool:
    """Whether an allowed check may be remembered with its call (`_call_key`): its target
    is none, or a user (whose path, tags and boundary change only with the policy
    generation), and its resource derives from the request alone, not from another
    table (an access key's owner, a deletion task's role)."""
    if entity is not None and entity.kind != "user":
        return False
    return not any(f"{{@{name}" in template for name in _RESOLVERS_READING_TABLES)


class Peer(NamedTuple):
    """What the HTTP connection tells: aws:SourceIp, aws:SecureTransport, aws:UserAgent (a
    tuple: made once per request, cheaper than a frozen dataclass)."""
    ip: str | None  # None: not an IP connection (a Unix socket)
    secure: bool
    user_agent: str | None

    @classmethod
    def of(cls, scope, headers: dict) -> "Peer":
        client = scope.get("client")
        return cls(client[0] if client else None, scope.get("scheme") == "https",
                   headers.get("user-agent"))


class Authorizer:
    def __init__(self):
        self.cache = PolicyCache(_Principal)

    def __call__(self, ctx, operation: str, params: dict, peer: Peer) -> None:
        row = OPERATIONS[operation]
        if operation in POLICY_CHANGES:
            bump(ctx.tx, ctx.account_id, self.cache)
        caller: Principal | None = ctx.caller
        ctx.extra["peer"] = peer
        if operation in CHANGES_MANAGED_POLICY and caller is not None \
                and str(params.get("PolicyArn", "")).startswith(AWS_MANAGED_POLICY):  # even with --auth off
            raise AWSError("AccessDenied", f"User: {caller.arn} is not authorized to perform: "
                                           f"{row.checks[0].action} on resource: {params['PolicyArn']}")
        if caller is None or caller.unchecked:
            return
        if caller.session is not None:
            _session_may_call(caller, operation, row.service)
        if row.implicit in (ALWAYS, TRUST):
            return
        if caller.account_id != ctx.account_id:
            own = row.checks[0]
            raise AWSError("AccessDenied", f"User: {caller.arn} is not authorized to perform: {own.action} "
                                           f"because no identity-based policy allows the {own.action} action")
        if caller.is_root:
            return
        me = self.principal(ctx, caller)
        key = _call_key(operation, params, caller, peer, ctx)
        if key in me.allowed:
            return
        target = _Target(ctx, params, me.tags, me.boundary_arn, self.cache)
        base = _principal_context(ctx, caller, peer, me.tag_context)
        for check in row.checks:
            if check.when and not any(params.get(p) is not None for p in check.when):
                continue
            resource, entity = target.resource(check.resource)
            if _foreign(resource, ctx.account_id):  # IAM has no resource policies: never across accounts
                raise AWSError("AccessDenied", f"User: {caller.arn} is not authorized to perform: {check.action} "
                                               f"on resource: {resource} because no resource-based policy "
                                               f"allows the {check.action} action")
            context = dict(base)
            context.update(check.context)
            _request_keys(context, check, params, entity)
            decision = me.decide(Request(check.action, resource, context))
            if decision.allowed:
                if key is not None and not _kept(check.resource, entity):
                    key = None
                continue
            key = None
            if row.implicit == PASSWORD_CHANGE and decision.decision == IMPLICIT_DENY \
                    and _users_may_change_password(ctx):
                continue
            if row.implicit == DELEGATION_OWNER and decision.decision == IMPLICIT_DENY \
                    and _owns_delegation_request(ctx, caller, params):
                continue
            named = target.resource(check.named)[0] if check.named else resource
            raise AWSError("AccessDenied", access_denied_message(caller.arn, check.action, named, decision))
        if key is not None:
            if len(me.allowed) >= MAX_DECISIONS:
                me.allowed.clear()
            me.allowed.add(key)


    def principal(self, ctx, caller: Principal) -> _Principal:
        """What `caller` may do: its user's or role's cached policies, and for a session
        those with its session policies and tags on top (kept per session key)."""
        claims = caller.session
        if claims is None:
            return self.cache.get(ctx.tx, ctx.account_id, "user", caller.entity_id, ctx.now)
        if caller.entity_id is None:  # a federated user of the root user: everything, cut by the session
            base = _ROOT_POLICIES
        else:
            kind = "role" if caller.kind == "assumed-role" else "user"
            base = self.cache.get(ctx.tx, ctx.account_id, kind, caller.entity_id, ctx.now)
        if caller.kind == "user" and not claims.get("tg") and "p" not in claims:
            return base
        return self.cache.remember(("session", caller.access_key_id),
                                   lambda: _session_principal(ctx, base, claims))

    def assume(self, ctx, operation: str, role_row, params: dict, context: dict) -> None:
        """Decide the caller's `operation` (AssumeRole) on `role_row` by the role's trust
        policy and the caller's identity policies: the row's own check, then those its
        `also` adds (sts:TagSession with Tags, sts:SetSourceIdentity with SourceIdentity).
        `context` adds what the handler learnt (MFA)."""
        from ..service.trust import authorize_assume
        caller: Principal | None = ctx.caller
        if caller is None or caller.unchecked:
            return
        peer = ctx.extra.get("peer") or Peer(None, False, None)
        me = self.principal(ctx, caller)
        engine_caller = Caller(caller.arn, caller.account_id,
                               role_arn=(caller.session or {}).get("ra"), unique_id=caller.entity_id)
        base = _principal_context(ctx, caller, peer, me.tag_context)
        base.update(context)
        for check in OPERATIONS[operation].checks:
            if check.when and not any(params.get(p) is not None for p in check.when):
                continue
            request = dict(base)
            request.update(check.context)
            _request_keys(request, check, params, None)
            authorize_assume(ctx, role_row, engine_caller, check.action, request, me.policies)


_ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
_ROOT_POLICIES = _Principal(PrincipalPolicies((), None, None, ()))
_ROOT_POLICIES.policies = PolicySet((PolicySource("root", "none", compile_policy(_ALLOW_ALL)),))


def _session_principal(ctx, base: _Principal, claims: dict) -> _Principal:
    """`base` as a session sees it: its session policies (none at all for a federated
    user without any: it may do nothing) and its session tags."""
    session = None
    if "p" in claims or "pa" in claims or claims["t"] == "federated-user":
        sources = []
        if "p" in claims:
            sources.append(PolicySource("SessionPolicy", "none", compile_policy(claims["p"])))
        account = claims["a"]
        for arn in claims.get("pa", ()):
            repo = PolicyRepo(ctx.tx, account)
            row = repo.get(arn)
            text = repo.default_document(row) if row is not None else None
            if text is not None:
                sources.append(PolicySource(row.name, "user-managed" if row.account_id else "aws-managed",
                                            compile_policy(text)))
        session = tuple(sources)
    return _Principal(None, base, session, tuple((k, v) for k, v in claims.get("tg", ())))


def _owns_delegation_request(ctx, caller: Principal, params: dict) -> bool:
    """The caller owns the delegation request the call names (the owner's default permission)."""
    from ..store.delegation import DelegationRepo
    request_id = params.get("DelegationRequestId") or str(params.get("EntityArn", "")).rsplit("/", 1)[-1]
    return DelegationRepo(ctx.tx).owner_of(request_id) == caller.arn


def _session_may_call(caller: Principal, operation: str, service: str) -> None:
    """What a kind of STS session may call at all, whatever its policies (SESSION_LIMITS)."""
    iam, sts = SESSION_LIMITS[caller.kind]
    if service == "iam":
        if iam == "never" or iam == "mfa" and "mfa" not in caller.session:
            raise AWSError("InvalidClientTokenId", "The security token included in the request is invalid")
    elif operation not in sts:
        raise AWSError("AccessDenied", f"Cannot call {operation} with session credentials")


@dataclass(frozen=True, slots=True)
class _Entity:
    """The stored entity a request targets: what its ARN and context keys need."""
    kind: str
    path: str
    tags: tuple[tuple[str, str], ...]
    boundary: str | None


def _principal_context(ctx, caller: Principal, peer: Peer, principal_tags: dict) -> dict:
    now = ctx.now
    context = {
        "aws:currenttime": _iso(now),
        "aws:epochtime": str(int(now)),
        "aws:securetransport": "true" if peer.secure else "false",
        "aws:principalarn": caller.arn,
        "aws:principalaccount": caller.account_id,
        "aws:principaltype": _PRINCIPAL_TYPES[caller.kind],
        "aws:principalisawsservice": "false",
        "aws:viaawsservice": "false",
        "aws:userid": caller.user_id,
        "aws:requestedregion": ctx.region,
        **principal_tags,
    }
    if caller.kind == "user":
        context["aws:username"] = caller.name
    claims = caller.session
    if claims is not None:
        if caller.kind == "assumed-role":
            context["aws:principalarn"] = claims["ra"]
        context["aws:tokenissuetime"] = _iso(claims["iat"])
        mfa = claims.get("mfa")
        context["aws:multifactorauthpresent"] = "true" if mfa is not None else "false"
        if mfa is not None:
            context["aws:multifactorauthage"] = str(max(0, int(now - mfa)))
        for claim, key in (("si", "aws:sourceidentity"), ("fp", "aws:federatedprovider")):
            if claim in claims:
                context[key] = claims[claim]
    if peer.ip is not None:
        context["aws:sourceip"] = peer.ip
    if peer.user_agent is not None:
        context["aws:useragent"] = peer.user_agent
    return context


_ACCOUNT_OF = re.compile(r"arn:aws:(?:iam|sts)::(\d{12}):")


def _foreign(resource: str, account_id: str) -> bool:
    """Whether the resource ARN names an entity of another account."""
    m = _ACCOUNT_OF.match(resource)
    return m is not None and m.group(1) != account_id


_PRINCIPAL_TYPES = {"user": "User", "root": "Account", "assumed-role": "AssumedRole",
                    "federated-user": "FederatedUser"}


_ISO: tuple = (None, "")  # the last second asked for, and its text


def _iso(epoch: float) -> str:
    global _ISO
    second = int(epoch)
    cached = _ISO
    if cached[0] != second:
        cached = _ISO = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return cached[1]


def _request_keys(context: dict, check: Check, params: dict, entity) -> None:
    """The condition keys the request supplies (the row's `keys`) and the target's tags."""
    for key in check.keys:
        if key == "aws:RequestTag":
            for t in params.get("Tags") or ():
                context[f"aws:requesttag/{t['Key'].lower()}"] = t.get("Value", "")
        elif key == "aws:TagKeys":
            keys = params.get("TagKeys") if "TagKeys" in params else [t["Key"] for t in params.get("Tags") or ()]
            if keys is not None:
                context["aws:tagkeys"] = tuple(keys)
        elif key == "iam:PermissionsBoundary":
            arn = params.get("PermissionsBoundary") or (entity.boundary if entity else None)
            if arn:
                context["iam:permissionsboundary"] = arn
        else:
            value = params.get(_KEY_PARAMS.get(key, ""))
            if isinstance(value, (str, int)):
                context[key.lower()] = str(value)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                context[key.lower()] = tuple(value)
    if entity is not None:
        for k, v in entity.tags:
            context[f"aws:resourcetag/{k.lower()}"] = v
            if entity.kind in _IAM_RESOURCE_TAGS:
                context[f"iam:resourcetag/{k.lower()}"] = v
    elif "aws:RequestTag" in check.keys:  # an entity being created carries the request's tags
        for t in params.get("Tags") or ():
            context[f"aws:resourcetag/{t['Key'].lower()}"] = t.get("Value", "")


# Condition keys whose value is a request parameter as it stands.
_KEY_PARAMS = {
    "iam:PolicyARN": "PolicyArn",
    "iam:AWSServiceName": "AWSServiceName",
    "iam:OrganizationsPolicyId": "OrganizationsPolicyId",
    "iam:DelegationDuration": "SessionDuration",
    "iam:NotificationChannel": "NotificationChannel",
    "iam:DelegationRequestOwner": "OwnerId",
    "iam:ServiceSpecificCredentialServiceName": "ServiceName",
    "iam:ServiceSpecificCredentialAgeDays": "CredentialAgeDays",
    "sts:ExternalId": "ExternalId",
    "sts:RoleSessionName": "RoleSessionName",
    "sts:SourceIdentity": "SourceIdentity",
    "sts:TransitiveTagKeys": "TransitiveTagKeys",
    "sts:TaskPolicyArn": "TaskPolicyArn",
    "sts:IdentityTokenAudience": "Audience",
    "sts:DurationSeconds": "DurationSeconds",
    "sts:SigningAlgorithm": "SigningAlgorithm",
}


class _Target:
    """Fills a resource template of the table for this request (see policy/actions.py)."""

    def __init__(self, ctx, params: dict, caller_tags: tuple, caller_boundary: str | None, cache: PolicyCache):
        self.ctx, self.params, self.cache = ctx, params, cache
        self.caller_tags, self.caller_boundary = caller_tags, caller_boundary

    def resource(self, template: str) -> tuple[str, "_Entity | None"]:
        if template == "*":
            return "*", None
        kind = template.split("{", 1)[0].rstrip("/")
        entity = self._entity(kind, template)

        def fill(m) -> str:
            name, _, default = m.group(1).partition("|")
            if name == "path":
                return entity.path if entity else "/"
            if name == "account":
                return self.ctx.account_id
            if name.startswith("@"):
                return _RESOLVERS[name[1:]](self)
            value = self.params.get(name)
            if value is None or value == "":
                if default == "caller":
                    return self.ctx.caller.name or ""
                if default == "path":
                    return entity.path if entity else "/"
                value = self.params.get(default, default)
            return str(value)

        filled = _PLACEHOLDER.sub(fill, template)
        if filled.startswith("arn:") or template.startswith("{") or " " in template:
            return filled, entity
        return f"arn:aws:iam::{self.ctx.account_id}:{filled}", entity

    def _entity(self, kind: str, template: str) -> "_Entity | None":
        """The stored entity the template names (its path, tags and boundary), or None."""
        if template.startswith("{") and template[1:-1] in _BY_ARN:  # {PolicyArn} and the like
            arn = self.params.get(template[1:-1])
            tag_type, tag_id = _BY_ARN[template[1:-1]]
            found = tag_id(self.ctx, arn) if arn else None
            return _Entity(tag_type, "/", _tags(self.ctx, tag_type, found), None) if found else None
        m = _NAME_PART.search(template)
        if m is None or kind not in _ENTITIES and kind != "user":
            return None
        param, default = m.group(1), m.group(2)
        name = _RESOLVERS[param[1:]](self) if param.startswith("@") else self.params.get(param)
        caller = self.ctx.caller
        if kind == "user" and (not name and default == "caller" or
                               name and caller.name and name.lower() == caller.name.lower()):
            path = caller.arn.split(":user", 1)[1][: -len(caller.name)]
            return _Entity("user", path, self.caller_tags, self.caller_boundary)
        if not name:
            return None
        if kind == "user":  # every change to a user's path, tags or boundary bumps the generation
            return self.cache.remember(("user-name", self.ctx.account_id, name.lower()),
                                       lambda: _user(self.ctx, name))
        repo, tag_type, id_of = _ENTITIES[kind]
        row = repo(self.ctx.tx, self.ctx.account_id).get(name)
        if row is None:
            return None
        tags = _tags(self.ctx, tag_type, id_of(row)) if tag_type else ()
        return _Entity(kind, row.path, tags, getattr(row, "permissions_boundary", None))


def _user(ctx, name: str) -> "_Entity | None":
    row, tags = UserRepo(ctx.tx, ctx.account_id).get_with_tags(name)
    return _Entity("user", row.path, tuple(tags), row.permissions_boundary) if row else None


# The last placeholder of a template names the entity: {UserName|caller}, {@key_owner}.
_NAME_PART = re.compile(r"\{(@?\w+)(?:\|(\w+))?\}$")
# entity type -> (repository, tag resource type or None, the id its tags hang off)
_ENTITIES = {
    "group": (GroupRepo, None, None),
    "role": (RoleRepo, "role", lambda r: r.role_id),
    "instance-profile": (InstanceProfileRepo, "instance_profile", lambda r: r.profile_id),
    "server-certificate": (ServerCertificateRepo, "server-certificate", lambda r: r.certificate_id),
}


def _policy_id(ctx, arn: str):
    row = PolicyRepo(ctx.tx, ctx.account_id).get(arn)
    return row.policy_id if row is not None and row.account_id else None


# ARN parameter -> (tag resource type, how to find the id its tags hang off)
_BY_ARN = {
    "PolicyArn": ("policy", _policy_id),
    "OpenIDConnectProviderArn": ("oidc-provider", lambda ctx, arn: arn),
    "SAMLProviderArn": ("saml-provider", lambda ctx, arn: arn),
    "SerialNumber": ("mfa", lambda ctx, arn: arn),
}


def _tags(ctx, tag_type: str, resource_id) -> tuple:
    if resource_id is None:
        return ()
    return tuple(TagRepo(ctx.tx, ctx.account_id).list(tag_type, resource_id))


def _oidc_issuer(t: _Target) -> str:
    from ..service.oidc_providers import issuer
    try:
        return issuer(t.params.get("Url", ""))
    except AWSError:
        return t.params.get("Url", "")


def _slr_name(t: _Target) -> str:
    from ..service.service_linked_roles import slr_name
    return slr_name(t.params.get("AWSServiceName", ""), t.params.get("CustomSuffix"))


def _key_owner(t: _Target) -> str:
    row = lookup_key(t.ctx.tx, t.params.get("AccessKeyId", ""))
    if row is None or row.user_id is None or row.account_id != t.ctx.account_id:
        return ""
    user = UserRepo(t.ctx.tx, t.ctx.account_id).get_by_id(row.user_id)
    return user.name if user else ""


def _deletion_role(t: _Target) -> str:
    task = RoleRepo(t.ctx.tx, t.ctx.account_id).get_deletion(t.params.get("DeletionTaskId", ""))
    return task.role_name if task else ""


# {@name} placeholders of the table: values derived from the request (the last two from
# what another table holds).
_RESOLVERS_READING_TABLES = ("key_owner", "deletion_role")
_RESOLVERS = {"caller": lambda t: t.ctx.caller.name or "", "oidc_issuer": _oidc_issuer, "slr_name": _slr_name,
              "key_owner": _key_owner, "deletion_role": _deletion_role}


def _users_may_change_password(ctx) -> bool:
    policy = PasswordPolicyRepo(ctx.tx, ctx.account_id).get()
    return bool(policy is not None and policy.allow_users_to_change)
