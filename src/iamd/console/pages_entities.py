"""Groups and roles: lists (paged), a group's members and policies, a role's trust policy
(shown and edited), last use and instance profiles."""

import json
from urllib.parse import quote

from .routes import Denied, route

PAGE_SIZE = 50


def _listing(page, op: str, field: str):
    marker = page.req.query.get("marker") or None
    out, err = page.attempt(op, MaxItems=PAGE_SIZE, Marker=marker)
    rows = out.get(field, []) if out else []
    return rows, (out.get("Marker") if out and out.get("IsTruncated") else None), err, marker is None


@route("GET", "/groups")
def groups(page, error=None, status=200):
    rows, nxt, err, first = _listing(page, "ListGroups", "Groups")
    return page.render("groups.html", status, groups=rows, next_marker=nxt, error=error or err, first=first)


@route("POST", "/groups")
def group_create(page):
    try:
        page.call("CreateGroup", GroupName=page.form.get("name", "").strip(),
                  Path=page.form.get("path", "").strip() or None)
    except Denied as err:
        return groups(page, error=err, status=400)
    return page.redirect("/groups", "created")


@route("GET", "/groups/(?P<name>[^/]+)")
def group(page, name, error=None, status=200):
    got, denied = page.attempt("GetGroup", GroupName=name, MaxItems=PAGE_SIZE)
    attached, aerr = page.attempt("ListAttachedGroupPolicies", GroupName=name)
    inline, ierr = page.attempt("ListGroupPolicies", GroupName=name)
    return page.render("group.html", status if not denied else 403, name=name,
                       group=got["Group"] if got else None, members=got.get("Users", []) if got else [],
                       attached=(attached or {}).get("AttachedPolicies", []), attached_error=aerr,
                       inline=(inline or {}).get("PolicyNames", []), inline_error=ierr, error=error or denied)


def entity_action(page, calls: dict, act: str, name_param: str, name: str, view, listing: str):
    """Run the operation `calls[act]` names on one entity, then back to its page (its
    listing after a delete), or its page again with AWS's error."""
    if act not in calls:
        return page.render("error.html", 404, heading=404, message="Not found.")
    op, params = calls[act]
    try:
        page.call(op, **{name_param: name}, **params)
    except Denied as err:
        return view(page, name, error=err, status=400)
    if act == "delete":
        return page.redirect(listing, "deleted")
    return page.redirect(f"{listing}/{quote(name, safe='')}", "updated")


@route("POST", "/groups/(?P<name>[^/]+)/(?P<act>[a-z-]+)")
def group_action(page, name, act):
    f = page.form
    return entity_action(page, {
        "attach": ("AttachGroupPolicy", {"PolicyArn": f.get("arn", "").strip()}),
        "detach": ("DetachGroupPolicy", {"PolicyArn": f.get("arn", "")}),
        "add-user": ("AddUserToGroup", {"UserName": f.get("user", "").strip()}),
        "remove-user": ("RemoveUserFromGroup", {"UserName": f.get("user", "")}),
        "delete-inline": ("DeleteGroupPolicy", {"PolicyName": f.get("policy", "")}),
        "delete": ("DeleteGroup", {}),
    }, act, "GroupName", name, group, "/groups")


@route("GET", "/roles")
def roles(page, error=None, status=200):
    rows, nxt, err, first = _listing(page, "ListRoles", "Roles")
    return page.render("roles.html", status, roles=rows, next_marker=nxt, error=error or err, first=first,
                       trust=page.form.get("trust", "") if page.form else "")


@route("POST", "/roles")
def role_create(page):
    try:
        page.call("CreateRole", RoleName=page.form.get("name", "").strip(),
                  AssumeRolePolicyDocument=page.form.get("trust", ""))
    except Denied as err:
        return roles(page, error=err, status=400)
    return page.redirect("/roles", "created")


def pretty(document: str) -> str:
    try:
        return json.dumps(json.loads(document), indent=2)
    except ValueError:
        return document


@route("GET", "/roles/(?P<name>[^/]+)")
def role(page, name, error=None, status=200, trust=None):
    got, denied = page.attempt("GetRole", RoleName=name)
    attached, aerr = page.attempt("ListAttachedRolePolicies", RoleName=name)
    inline, ierr = page.attempt("ListRolePolicies", RoleName=name)
    profiles, perr = page.attempt("ListInstanceProfilesForRole", RoleName=name)
    r = got["Role"] if got else None
    return page.render("role.html", status if not denied else 403, name=name, role=r,
                       trust=trust if trust is not None else pretty(r["AssumeRolePolicyDocument"]) if r else "",
                       attached=(attached or {}).get("AttachedPolicies", []), attached_error=aerr,
                       inline=(inline or {}).get("PolicyNames", []), inline_error=ierr,
                       profiles=(profiles or {}).get("InstanceProfiles", []), profiles_error=perr,
                       error=error or denied)


@route("POST", "/roles/(?P<name>[^/]+)/(?P<act>[a-z-]+)")
def role_action(page, name, act):
    f = page.form

    def view(page, name, error, status):
        return role(page, name, error=error, status=status, trust=f.get("trust") if act == "trust" else None)
    return entity_action(page, {
        "trust": ("UpdateAssumeRolePolicy", {"PolicyDocument": f.get("trust", "")}),
        "attach": ("AttachRolePolicy", {"PolicyArn": f.get("arn", "").strip()}),
        "detach": ("DetachRolePolicy", {"PolicyArn": f.get("arn", "")}),
        "delete-inline": ("DeleteRolePolicy", {"PolicyName": f.get("policy", "")}),
        "delete": ("DeleteRole", {}),
    }, act, "RoleName", name, view, "/roles")
