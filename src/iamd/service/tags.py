"""Tag rules shared by every taggable entity, and the handlers' tag plumbing.

Keys are case-insensitive (but case-preserving) on users and roles, case-sensitive on
everything else; at most 50 per entity; `aws:` is reserved.
"""

from ..protocol.errors import AWSError
from ..store.tags import TagRepo

MAX_TAGS = 50
CASE_INSENSITIVE = frozenset({"user", "role"})


def normalize_key(resource_type: str, key: str) -> str:
    return key.lower() if resource_type in CASE_INSENSITIVE else key


def check_new_tags(tags: list[dict], resource_type: str | None = None) -> None:
    """Reserved prefix, count, and duplicates (case-insensitively where the type says so;
    without a type, only exact duplicates are caught here and `add_tags` checks the rest)."""
    seen = set()
    for t in tags:
        key = t["Key"]
        if key.lower().startswith("aws:"):
            raise AWSError("InvalidInput", "User-defined tags can not start with 'aws:'.")
        norm = normalize_key(resource_type, key) if resource_type else key
        if norm in seen:
            raise AWSError("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                           if resource_type in CASE_INSENSITIVE else "Duplicate tag keys found.")
        seen.add(norm)
    if len(tags) > MAX_TAGS:
        raise AWSError("LimitExceeded", f"The number of tags has reached the maximum limit of {MAX_TAGS}.")


def add_tags(ctx, resource_type: str, resource_id: str, tags: list[dict]) -> None:
    check_new_tags(tags, resource_type)
    repo = TagRepo(ctx.tx, ctx.account_id)
    current = {normalize_key(resource_type, k): k for k, _ in repo.list(resource_type, resource_id)}
    new = {normalize_key(resource_type, t["Key"]) for t in tags}
    if len(set(current) | new) > MAX_TAGS:
        raise AWSError("LimitExceeded", f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
    for t in tags:
        repo.put(resource_type, resource_id, normalize_key(resource_type, t["Key"]), t["Key"],
                 t.get("Value", ""))


def remove_tags(ctx, resource_type: str, resource_id: str, keys: list[str]) -> None:
    TagRepo(ctx.tx, ctx.account_id).remove(
        resource_type, resource_id, [normalize_key(resource_type, k) for k in keys])


def tag_list(ctx, resource_type: str, resource_id: str) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in TagRepo(ctx.tx, ctx.account_id).list(resource_type, resource_id)]


def paged_tags(ctx, resource_type: str, resource_id: str, params: dict) -> dict:
    """ListXTags output: Tags, IsTruncated, Marker."""
    items = tag_list(ctx, resource_type, resource_id)
    start = 0
    if params.get("Marker"):
        try:
            start = int(params["Marker"])
        except ValueError:
            raise AWSError("InvalidInput", "Invalid Marker.") from None
    limit = params.get("MaxItems") or 100
    chunk = items[start:start + limit]
    out = {"Tags": chunk, "IsTruncated": start + limit < len(items)}
    if out["IsTruncated"]:
        out["Marker"] = str(start + limit)
    return out
