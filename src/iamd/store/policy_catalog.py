"""The AWS managed policy catalogue: read it, and load it into the store in bulk.

Two sources share one entry format (ListPolicies fields + the default version):
  * the curated snapshot shipped in `iamd/data/aws_managed_policies.json`, loaded at every
    start (a few dozen rows: one SELECT when nothing changed);
  * a directory laid out like the MAMIP project's (`policies-list.json` in ListPolicies
    form, `policies/<PolicyName>` in GetPolicyVersion form), loaded by
    `iamd aws-policies import DIR`.
Loading is idempotent: a policy already stored with the same or a later UpdateDate is
left alone; a newer one replaces the stored default version. Only the default version of
an AWS managed policy is kept: older versions are never evaluated.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..protocol.errors import AWSError
from .casefold import fold
from .schema.policies import managed_policies as mp
from .schema.policies import policy_versions as pv

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "aws_managed_policies.json"


def epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def document_text(document) -> str:
    """AWS managed documents come parsed; AWS shows them indented by four spaces."""
    return document if isinstance(document, str) else json.dumps(document, indent=4)


def entry(meta: dict, version: dict) -> dict:
    """One catalogue entry from ListPolicies metadata and a GetPolicyVersion PolicyVersion."""
    out = {k: meta[k] for k in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId",
                                "CreateDate", "UpdateDate")}
    out["IsAttachable"] = meta.get("IsAttachable", True)
    if meta.get("Description"):
        out["Description"] = meta["Description"]
    out["VersionCreateDate"] = version.get("CreateDate", meta["UpdateDate"])
    out["Document"] = version["Document"]
    return out


def read_directory(root: Path) -> tuple[list[dict], list[str]]:
    """Entries of a MAMIP-style directory, and what was skipped (with the reason).

    A document without metadata in policies-list.json (deprecated policies AWS no longer
    lists) cannot be given its id, path or dates, so it is skipped, as is an empty or
    unreadable document.
    """
    listed = json.loads((root / "policies-list.json").read_text())["Policies"]
    entries, skipped = [], []
    names = set()
    for meta in listed:
        names.add(meta["PolicyName"])
        path = root / "policies" / meta["PolicyName"]
        try:
            version = json.loads(path.read_text())["PolicyVersion"]
        except (OSError, ValueError, KeyError) as exc:
            skipped.append(f"{meta['PolicyName']}: no readable document ({exc.__class__.__name__})")
            continue
        if version.get("VersionId", meta["DefaultVersionId"]) != meta["DefaultVersionId"]:
            skipped.append(f"{meta['PolicyName']}: document is {version.get('VersionId')}, "
                           f"list says {meta['DefaultVersionId']}")
            continue
        entries.append(entry(meta, version))
    docs_dir = root / "policies"
    if docs_dir.is_dir():
        for extra in sorted(p.name for p in docs_dir.iterdir() if p.name not in names):
            skipped.append(f"{extra}: not in policies-list.json")
    return entries, skipped


def read_shipped() -> list[dict]:
    return json.loads(SHIPPED.read_text())


def load(tx, entries: list[dict]) -> dict:
    """Insert new AWS managed policies and refresh changed ones, in bulk.

    Returns counts: inserted, updated, unchanged.
    """
    stored = {r.arn: r for r in tx.execute(
        select(mp.c.arn, mp.c.policy_id, mp.c.updated_at, mp.c.default_version)
        .where(mp.c.account_id.is_(None)))}
    new, changed, unchanged = [], [], 0
    for e in entries:
        row = stored.get(e["Arn"])
        if row is None:
            new.append(e)
        elif row.policy_id == e["PolicyId"] and (
                epoch(e["UpdateDate"]) > row.updated_at
                or (epoch(e["UpdateDate"]) == row.updated_at
                    and row.default_version != e["DefaultVersionId"])):
            changed.append(e)
        else:
            unchanged += 1
    if new:
        tx.execute(insert(mp), [_policy_row(e) for e in new])
        tx.execute(insert(pv), [_version_row(e) for e in new])
    if changed:
        ids = [e["PolicyId"] for e in changed]
        for i in range(0, len(ids), 500):
            tx.execute(delete(pv).where(pv.c.policy_id.in_(ids[i:i + 500])))
        stmt = (update(mp).where(mp.c.policy_id == bindparam("b_policy_id"))
                .values(default_version=bindparam("default_version"),
                        next_version=bindparam("next_version"),
                        updated_at=bindparam("updated_at"), attachable=bindparam("attachable"),
                        description=bindparam("description")))
        tx.execute(stmt, [{"b_policy_id": e["PolicyId"], **{
            k: v for k, v in _policy_row(e).items()
            if k in ("default_version", "next_version", "updated_at", "attachable", "description")}}
            for e in changed])
        tx.execute(insert(pv), [_version_row(e) for e in changed])
    return {"inserted": len(new), "updated": len(changed), "unchanged": unchanged}


def _policy_row(e: dict) -> dict:
    number = int(e["DefaultVersionId"][1:].split(".", 1)[0])
    return {"policy_id": e["PolicyId"], "account_id": None, "arn": e["Arn"],
            "name": e["PolicyName"], "name_lower": fold(e["PolicyName"]), "path": e["Path"],
            "description": e.get("Description"), "default_version": e["DefaultVersionId"],
            "next_version": number + 1, "created_at": epoch(e["CreateDate"]),
            "updated_at": epoch(e["UpdateDate"]), "attachable": bool(e.get("IsAttachable", True))}


def _version_row(e: dict) -> dict:
    return {"policy_id": e["PolicyId"], "version_id": e["DefaultVersionId"],
            "document": document_text(e["Document"]), "created_at": epoch(e["VersionCreateDate"])}


def load_into(store, entries: list[dict]) -> dict:
    """Load in one transaction; if another process loads the same rows at the same time,
    the unique indexes refuse one of us, and a second pass finds them stored."""
    for attempt in range(2):
        try:
            return store.run(lambda tx: load(tx, entries))
        except (IntegrityError, AWSError):  # AWSError: the commit-time conflict
            if attempt:
                raise
    raise AssertionError("unreachable")


def ensure_shipped(store) -> dict:
    """Load the shipped snapshot (bootstrap, every start)."""
    return load_into(store, read_shipped())
