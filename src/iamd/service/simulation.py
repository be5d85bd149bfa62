"""SimulateCustomPolicy and SimulatePrincipalPolicy: the engine's decision for each action ×
resource, with the statements that decided it and the context keys that were missing.

The simulator calls `policy.evaluate` exactly as the enforcer does (same compiled
policies, same evaluation order), with `explain=True` (matched statements in document
order). The request context is only what ContextEntries say: like AWS's simulator, iamd
supplies no key by itself. MissingContextValues is, as AWS answers it, every key the
simulated policies refer to (GetContextKeysFor*Policy's list) that ContextEntries lack. A ResourcePolicy is evaluated with
each resource, its Principal matched against CallerArn (or the simulated user); the
resource's account is the one in its ARN, else ResourceOwner, else the caller's, and a
resource of another account makes the simulation cross-account (both sides must allow,
EvalDecisionDetails says which did).
"""

import re

from ..policy.compiled import compile_policy
from ..policy.context_keys import context_keys
from ..policy.evaluate import Caller, Decision, PolicySet, PolicySource, Request, evaluate, resource_decision
from ..protocol.errors import AWSError, invalid_input
from ..store.paging import listing, offset_page
from .context_keys import checked
from .policy_sources import principal_policies
from .registry import operation

_USER_ARN = re.compile(r"arn:aws:iam::(\d{12}):user/(?:[^/]+/)*[^/]+")
_ACCOUNT_ARN = re.compile(r"arn:aws:iam::(\d{12}):root")
_ARN_ACCOUNT = re.compile(r"arn:[^:]*:[^:]*:[^:]*:(\d{12}):")


def _source(pid: str, ptype: str, text: str) -> PolicySource:
    return PolicySource(pid, ptype, compile_policy(text))


def _inputs(texts: list[str], prefix: str) -> list[PolicySource]:
    """Policies passed as strings: `PolicyInputList.1`, … (1-based, as AWS names them)."""
    return [_source(f"{prefix}.{i}", "none", t) for i, t in enumerate(checked(texts), 1)]


def _boundary(p) -> PolicySource | None:
    texts = p.get("PermissionsBoundaryPolicyInputList") or []
    if len(texts) > 1:
        raise invalid_input("Only one permissions boundary policy may be simulated at a time.")
    found = _inputs(texts, "PermissionsBoundaryPolicyInputList")
    return found[0] if found else None


def _context(entries) -> dict:
    """ContextEntries as the engine's request context: keys lower-cased, list types
    multi-valued, booleans in lower case (other values are compared by the operator that
    reads them, as AWS compares them)."""
    context: dict = {}
    for entry in entries or []:
        name = entry.get("ContextKeyName")
        if not name:
            continue
        kind = entry.get("ContextKeyType") or "string"
        values = [v.lower() if kind.startswith("boolean") else v for v in entry.get("ContextKeyValues") or []]
        if kind.endswith("List"):
            context[name.lower()] = tuple(values)
        elif len(values) == 1:
            context[name.lower()] = values[0]
        elif values:
            context[name.lower()] = tuple(values)
    return context


def _position(pos: tuple[int, int]) -> dict:
    return {"Line": pos[0], "Column": pos[1]}


def _statements(d: Decision) -> list[dict]:
    return [{"SourcePolicyId": src.id, "SourcePolicyType": src.type,
             "StartPosition": _position(st.start), "EndPosition": _position(st.end)}
            for src, st in d.matched]


class _Simulation:
    """Everything one Simulate*Policy call evaluates, fixed before the loop."""

    def __init__(self, p, policies: PolicySet, caller_arn: str | None, account_id: str):
        self.policies = policies
        self.context = _context(p.get("ContextEntries"))
        self.resources = p.get("ResourceArns") or ["*"]
        text = p.get("ResourcePolicy")
        self.resource_policy = _source("ResourcePolicy", "resource", checked([text], "resource")[0]) if text else None
        # AWS lists every key the simulated policies refer to that ContextEntries do not
        # supply, whatever statement refers to it (not only those of the simulated action).
        simulated = [*policies.identity, policies.boundary, self.resource_policy]
        self.missing = [k for k in context_keys(s.policy for s in simulated if s is not None)
                        if k.lower() not in self.context]
        caller_account = account_id
        self.caller = None
        if caller_arn:
            m = _USER_ARN.fullmatch(caller_arn)
            if m is None:
                raise invalid_input(f"Invalid CallerArn: {caller_arn}. It must be the ARN of an IAM user.")
            caller_account = m.group(1)
            self.caller = Caller(caller_arn, caller_account)
        self.caller_account = caller_account
        owner = p.get("ResourceOwner")
        self.owner = caller_account
        if owner:
            m = _ACCOUNT_ARN.fullmatch(owner)
            if m is None:
                raise invalid_input(f"Invalid ResourceOwner: {owner}. It must be an account ARN "
                                    "such as arn:aws:iam::123456789012:root.")
            self.owner = m.group(1)

    def _account_of(self, resource: str) -> str:
        m = _ARN_ACCOUNT.match(resource)
        return m.group(1) if m else self.owner

    def result(self, action: str, resource: str) -> dict:
        req = Request(action, resource, self.context)
        rp = self.resource_policy
        same = rp is None or self._account_of(resource) == self.caller_account
        d = evaluate(req, self.policies, resource_policy=rp, caller=self.caller, same_account=same,
                     explain=True)
        detail: dict = {}
        if d.boundary_allowed is not None:
            detail["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": d.boundary_allowed}
        if not same:
            detail["EvalDecisionDetails"] = self._details(req)
        # MissingContextValues: at the top for the resource "*", else per resource.
        specific = resource != "*"
        statements = _statements(d)
        out = {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": d.decision,
               "MatchedStatements": statements,
               "MissingContextValues": [] if specific else list(self.missing), **detail}
        if specific:
            out["ResourceSpecificResults"] = [{
                "EvalResourceName": resource, "EvalResourceDecision": d.decision,
                "MatchedStatements": statements, "MissingContextValues": list(self.missing), **detail}]
        return out

    def _details(self, req: Request) -> dict:
        """Cross-account: how the caller's own policies and the resource policy decide."""
        return {"IAM Policy": evaluate(req, self.policies).decision,
                "Resource Policy": resource_decision(req, self.resource_policy, self.caller)}


class _Results:
    """The action × resource results as a sequence evaluated on demand, so a page costs
    MaxItems evaluations however many pairs the request names."""

    def __init__(self, sim: _Simulation, actions: list[str]):
        self.sim, self.actions = sim, actions

    def __len__(self) -> int:
        return len(self.actions) * len(self.sim.resources)

    def __getitem__(self, window: slice) -> list[dict]:
        per = len(self.sim.resources)
        return [self.sim.result(self.actions[i // per], self.sim.resources[i % per])
                for i in range(*window.indices(len(self)))]


def _simulate(sim: _Simulation, p) -> dict:
    try:
        page, marker = offset_page(_Results(sim, p["ActionNames"]), p.get("Marker"), p.get("MaxItems"))
    except AWSError:
        raise
    except Exception as err:  # an evaluation that cannot complete is AWS's PolicyEvaluation
        raise AWSError("PolicyEvaluation", f"Policy evaluation failed: {type(err).__name__}.") from err
    return listing(page, marker, "EvaluationResults")


@operation("SimulateCustomPolicy")
def simulate_custom_policy(ctx, p):
    identity = _inputs(p["PolicyInputList"], "PolicyInputList")
    if p.get("ResourcePolicy") and not p.get("CallerArn"):
        raise invalid_input("CallerArn must be specified when a ResourcePolicy is simulated.")
    policies = PolicySet(tuple(identity), _boundary(p))
    return _simulate(_Simulation(p, policies, p.get("CallerArn"), ctx.account_id), p)


@operation("SimulatePrincipalPolicy")
def simulate_principal_policy(ctx, p):
    stored = principal_policies(ctx, p["PolicySourceArn"])
    if p.get("ResourcePolicy"):
        if stored.kind == "role":
            raise invalid_input("Resource policies are not supported when simulating a role's policies.")
        if stored.kind != "user" and not p.get("CallerArn"):
            raise invalid_input("CallerArn must be specified when a ResourcePolicy is simulated "
                                "and PolicySourceArn is not a user.")
    identity = [_source(*s) for s in stored.identity] + _inputs(p.get("PolicyInputList") or [], "PolicyInputList")
    boundary = _boundary(p)
    if boundary is None and stored.boundary is not None:
        boundary = _source(*stored.boundary)
    caller = p.get("CallerArn") or (stored.arn if stored.kind == "user" else None)
    policies = PolicySet(tuple(identity), boundary)
    return _simulate(_Simulation(p, policies, caller, ctx.account_id), p)
