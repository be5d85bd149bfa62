"""The access advisor's report on a user, group, role or managed policy, computed from the
recorded calls (the audit trail) and the entity's permissions policies.

* Services: every service namespace of the catalogue (`data/service_namespaces.json`) that
  the policies grant (`policy/service_grants.py`), sorted by namespace. A service with an
  authenticated call in the tracking period carries its time, the entity that made it (a
  role for its sessions), its region and how many entities called it. Calls count whether
  allowed or denied: AWS reports attempts; calls that failed authentication name no one.
* The entities: a user or role report covers that entity; a group's its members; a
  policy's the users and roles it is attached to, directly or through a group.
* ACTION_LEVEL adds each service's tracked actions the entities called and the policies
  allow. AWS tracks management actions (creation, deletion, modification): for IAM and
  STS, those of access level Write, Permissions management or Tagging
  (`data/tracked_actions.json`: IAM's CreateUser, STS's AssumeRole; not GetUser).
* The calls are the audit trail's: it keeps each user's and role's latest call to each
  action (`store/access_advisor.py`) for AWS's tracking period, 400 days, whatever the
  records' own retention.
"""

import json
from functools import lru_cache
from pathlib import Path

from ..auth.principal import user_arn
from ..policy.service_grants import allows_action, granted_namespaces
from ..protocol.model import catalog
from ..store import access_advisor as store
from .arns import arn

DATA = Path(__file__).resolve().parent.parent / "data"


class EntityGone(Exception):
    """The report's entity was deleted before the report was computed."""


@lru_cache(maxsize=None)
def _data(name: str) -> dict:
    with open(DATA / name) as f:
        return json.load(f)


def service_names() -> dict[str, str]:
    """Service namespace -> the name AWS's access advisor shows."""
    return _data("service_namespaces.json")


@lru_cache(maxsize=1)
def _tracked() -> dict[str, frozenset]:
    return {ns: frozenset(actions) for ns, actions in _data("tracked_actions.json").items()}


@lru_cache(maxsize=1)
def _service_of() -> dict[str, str]:
    return {name: op.service for name, op in catalog().by_name.items()}


def tracked(namespace: str, action: str) -> bool:
    """An action whose last access AWS reports: a management action."""
    return action in _tracked().get(namespace, ())


def entity_arn(account_id: str, e: store.Entity) -> str:
    return user_arn(account_id, e.path, e.name) if e.kind == "user" else arn(account_id, "role", e.path, e.name)


def _scope(tx, kind: str, entity_id: str) -> tuple[list[str], list[store.Entity]]:
    """(policy documents, entities) of the report's subject."""
    if kind == "policy":
        doc = store.policy_document(tx, entity_id)
        if doc is None:
            raise EntityGone
        return [doc], store.policy_entities(tx, entity_id)
    if kind == "group":
        if not store.group_exists(tx, entity_id):
            raise EntityGone
        return [r.document for r in store.entity_policies(tx, [("group", entity_id)])], store.members(tx, [entity_id])
    e = store.entity(tx, kind, entity_id)
    if e is None:
        raise EntityGone
    owners = [(kind, entity_id)]
    if kind == "user":
        owners += [("group", g) for g in store.group_ids_of_user(tx, entity_id)]
    return [r.document for r in store.entity_policies(tx, owners)], [e]


def compute(tx, account_id: str, kind: str, entity_id: str, granularity: str, now: float) -> dict:
    """The report: {"services": [ServiceLastAccessed], "entities": [EntityInfo], "access":
    {namespace: {entity's index: its last call}}} (every entity is listed for each service:
    the lists are built when read, `entity_details`)."""
    docs, entities = _scope(tx, kind, entity_id)
    arns = {entity_arn(account_id, e): e for e in entities}
    by_service: dict[str, list[tuple[store.Call, store.Entity]]] = {}
    service_of = _service_of()
    for c in store.latest_calls(tx, account_id, now - store.TRACKING_PERIOD, list(arns)):
        ns = service_of.get(c.action)
        if ns is not None:
            by_service.setdefault(ns, []).append((c, arns[c.entity_arn]))

    names = service_names()
    services, access = [], {}
    index = {e: i for i, e in enumerate(entities)}
    for ns in sorted(granted_namespaces(docs, names)):
        entry = {"ServiceName": names[ns], "ServiceNamespace": ns}
        seen = by_service.get(ns, [])
        last_by_entity: dict[store.Entity, float] = {}
        for c, who in seen:
            last_by_entity[who] = max(c.at, last_by_entity.get(who, c.at))
        if seen:
            c, who = max(seen, key=lambda cw: cw[0].at)
            entry.update(LastAuthenticated=c.at, LastAuthenticatedEntity=entity_arn(account_id, who),
                         LastAuthenticatedRegion=c.region, TotalAuthenticatedEntities=len(last_by_entity))
        if granularity == "ACTION_LEVEL":
            listed = [{"ActionName": c.action, "LastAccessedEntity": entity_arn(account_id, who),
                       "LastAccessedTime": c.at, "LastAccessedRegion": c.region}
                      for c, who in _latest_tracked(ns, seen, docs)]
            if listed:
                entry["TrackedActionsLastAccessed"] = listed
        services.append(entry)
        if last_by_entity:
            access[ns] = {str(index[e]): t for e, t in last_by_entity.items()}
    info = [{"Arn": entity_arn(account_id, e), "Name": e.name, "Type": e.kind.upper(), "Id": e.id, "Path": e.path}
            for e in entities]
    return {"services": services, "entities": info, "access": access}


def _latest_tracked(ns: str, seen: list, docs: list[str]) -> list:
    """The latest (call, entity) of each tracked action the policies allow, by action name."""
    latest = {}
    for c, who in seen:
        if tracked(ns, c.action) and (c.action not in latest or c.at > latest[c.action][0].at):
            latest[c.action] = (c, who)
    return [latest[a] for a in sorted(latest) if allows_action(docs, f"{ns}:{a}")]


def entity_details(report: dict, namespace: str) -> list[dict]:
    """EntityDetailsList of one service: the most recent access first, then the entities
    without one by name; empty for a service the policies do not grant."""
    if not any(s["ServiceNamespace"] == namespace for s in report["services"]):
        return []
    last = report["access"].get(namespace, {})
    out = []
    for i, e in enumerate(report["entities"]):
        d = {"EntityInfo": e}
        if str(i) in last:
            d["LastAuthenticated"] = last[str(i)]
        out.append(d)
    out.sort(key=lambda d: (-d.get("LastAuthenticated", float("-inf")), d["EntityInfo"]["Name"].lower(),
                            d["EntityInfo"]["Type"]))
    return out
