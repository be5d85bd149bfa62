"""Tag rules shared by every taggable entity, and the handlers' tag plumbing: the
Tag/Untag/ListTags operations of an entity type are registered by `tag_operations`.

Keys are case-insensitive (but case-preserving) on users and roles, case-sensitive on
everything else; at most 50 per entity; `aws:` is reserved.
"""

from ..protocol.errors import AWSError
from ..store.casefold import fold
from ..store.paging import listing, offset_page
from ..store.tags import TagRepo
from .registry import operation

MAX_TAGS = 50
CASE_INSENSITIVE = frozenset({"user", "role"})
# LimitExceeded when an entity would pass MAX_TAGS; AWS leaves the number out for some types.
TOO_MANY = f"The number of tags has reached the maximum limit of {MAX_TAGS}."
TOO_MANY_BY_TYPE = {"oidc-provider": "The number of tags has reached the maximum limit."}


def too_many_tags(resource_type: str | None) -> AWSError:
    return AWSError("LimitExceeded", TOO_MANY_BY_TYPE.get(resource_type, TOO_MANY))


def normalize_key(resource_type: str, key: str) -> str:
    """The key as stored in `key_norm`: folded where keys are case-insensitive (never
    longer than the key, so a 128-character key fits its column)."""
    return fold(key) if resource_type in CASE_INSENSITIVE else key


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
        raise too_many_tags(resource_type)


def add_tags(ctx, resource_type: str, resource_id: str, tags: list[dict]) -> None:
    check_new_tags(tags, resource_type)
    repo = TagRepo(ctx.tx, ctx.account_id)
    current = {normalize_key(resource_type, k): k for k, _ in repo.list(resource_type, resource_id)}
    new = {normalize_key(resource_type, t["Key"]) for t in tags}
    if len(set(current) | new) > MAX_TAGS:
        raise too_many_tags(resource_type)
    for t in tags:
        repo.put(resource_type, resource_id, normalize_key(resource_type, t["Key"]), t["Key"],
                 t.get("Value", ""))


def remove_tags(ctx, resource_type: str, resource_id: str, keys: list[str]) -> None:
    TagRepo(ctx.tx, ctx.account_id).remove(
        resource_type, resource_id, [normalize_key(resource_type, k) for k in keys])


def tag_list(ctx, resource_type: str, resource_id: str) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in TagRepo(ctx.tx, ctx.account_id).list(resource_type, resource_id)]


def with_tags(ctx, resource_type: str, resource_id: str, out: dict, always: bool = False) -> dict:
    """`out` with the resource's Tags added. Create outputs (and users, roles) leave the
    member out when there are none; the Get outputs of policies, instance profiles, server
    certificates and identity providers send an empty list (`always`), as AWS does."""
    tags = tag_list(ctx, resource_type, resource_id)
    if tags or always:
        out["Tags"] = tags
    return out


def paged_tags(ctx, resource_type: str, resource_id: str, params: dict) -> dict:
    """ListXTags output: Tags, IsTruncated, Marker."""
    chunk, marker = offset_page(tag_list(ctx, resource_type, resource_id), params.get("Marker"),
                                params.get("MaxItems"))
    return listing(chunk, marker, "Tags")


def tag_operations(noun: str, resource_type: str, find, find_for_list=None) -> None:
    """Register Tag<noun>, Untag<noun> and List<noun>Tags. `find(ctx, p)` gives the id the
    tags hang off for the resource the request names (raising its NoSuchEntity);
    `find_for_list` where ListTags words that error differently."""
    listed = find_for_list or find
    operation(f"Tag{noun}")(lambda ctx, p: add_tags(ctx, resource_type, find(ctx, p), p["Tags"]))
    operation(f"Untag{noun}")(lambda ctx, p: remove_tags(ctx, resource_type, find(ctx, p), p["TagKeys"]))
    operation(f"List{noun}Tags")(lambda ctx, p: paged_tags(ctx, resource_type, listed(ctx, p), p))
