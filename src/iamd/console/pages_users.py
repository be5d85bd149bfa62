"""Users: the list (paged, searchable), creating one (password, access key, groups,
policies, tags), and a user's page with its groups, policies, tags and credentials."""

import base64
import csv
import io
from urllib.parse import quote

from ..service.service_credentials import API_KEY_SERVICES, PASSWORD_SERVICES
from ..store.console import search_users
from .routes import Denied, route

PAGE_SIZE = 50
# The services a user's page offers a service-specific credential for (what iamd supports).
CREDENTIAL_SERVICES = tuple(sorted(PASSWORD_SERVICES)) + tuple(sorted(API_KEY_SERVICES))


def tags_of(text: str) -> list[dict]:
    """`key=value` lines as the API's Tag list."""
    tags = []
    for line in text.splitlines():
        if line.strip():
            key, _, value = line.partition("=")
            tags.append({"Key": key.strip(), "Value": value.strip()})
    return tags


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@route("GET", "/users")
def users(page):
    q = page.req.query
    search, marker = q.get("search", "").strip(), q.get("marker") or None
    rows, error, next_marker = [], None, None
    try:
        if search:
            found = page.read_as("ListUsers", lambda ctx: search_users(
                ctx.tx, ctx.account_id, search, marker, PAGE_SIZE + 1))
            rows = [{"UserName": r.name, "Path": r.path, "CreateDate": r.created_at,
                     "PasswordLastUsed": r.password_last_used} for r in found[:PAGE_SIZE]]
            next_marker = found[PAGE_SIZE - 1].name_lower if len(found) > PAGE_SIZE else None
        else:
            out = page.call("ListUsers", MaxItems=PAGE_SIZE, Marker=marker)
            rows, next_marker = out.get("Users", []), out.get("Marker") if out.get("IsTruncated") else None
    except Denied as err:
        error = err
    return page.render("users.html", users=rows, search=search, next_marker=next_marker, error=error,
                       first=marker is None)


def _choices(page):
    groups, _ = page.attempt("ListGroups", MaxItems=100)
    return (groups or {}).get("Groups", [])


@route("GET", "/users/new")
def user_new(page):
    return page.render("user_new.html", groups=_choices(page), values={})


@route("POST", "/users/new")
def user_create(page):
    f = page.form
    name = f.get("name", "").strip()
    done, key = [], None
    try:
        page.call("CreateUser", UserName=name, Path=f.get("path", "").strip() or None,
                  Tags=tags_of(f.get("tags", "")) or None)
        done.append("user")
        if f.get("password"):
            page.call("CreateLoginProfile", UserName=name, Password=f["password"],
                      PasswordResetRequired=bool(f.get("reset")))
        for group in f.get("groups[]", []):
            page.call("AddUserToGroup", UserName=name, GroupName=group)
        for arn in lines(f.get("policies", "")):
            page.call("AttachUserPolicy", UserName=name, PolicyArn=arn)
        if f.get("access_key"):
            key = page.call("CreateAccessKey", UserName=name)["AccessKey"]
    except Denied as err:
        if not done:
            return page.render("user_new.html", 400, groups=_choices(page), values=dict(f), error=err)
        return page.render("user_created.html", 400, name=name, key=key, csv_href=None, error=err)
    return page.render("user_created.html", name=name, key=key, csv_href=key and _key_csv(name, key))


def _key_csv(name: str, key: dict) -> str:
    """The new key as AWS's credentials CSV, as a data: link (the secret is never kept)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["User name", "Access key ID", "Secret access key"])
    w.writerow([name, key["AccessKeyId"], key["SecretAccessKey"]])
    return "data:text/csv;charset=utf-8," + quote(out.getvalue())


@route("GET", "/users/(?P<name>[^/]+)")
def user(page, name, error=None, status=200, extra=None):
    got, denied = page.attempt("GetUser", UserName=name)
    if denied is not None:
        return page.render("user.html", 403 if denied.code == "AccessDenied" else 404, name=name, user=None,
                           error=denied, sections={})
    sections = {}
    for key, op, field in (("groups", "ListGroupsForUser", "Groups"),
                           ("attached", "ListAttachedUserPolicies", "AttachedPolicies"),
                           ("inline", "ListUserPolicies", "PolicyNames"),
                           ("tags", "ListUserTags", "Tags"),
                           ("keys", "ListAccessKeys", "AccessKeyMetadata"),
                           ("mfa", "ListMFADevices", "MFADevices"),
                           ("ssh", "ListSSHPublicKeys", "SSHPublicKeys"),
                           ("service_credentials", "ListServiceSpecificCredentials", "ServiceSpecificCredentials"),
                           ("signing", "ListSigningCertificates", "Certificates")):
        out, err = page.attempt(op, UserName=name)
        sections[key] = (out.get(field, []) if out else [], err)
    for k in sections["keys"][0]:
        used, _ = page.attempt("GetAccessKeyLastUsed", AccessKeyId=k["AccessKeyId"])
        k["LastUsed"] = (used or {}).get("AccessKeyLastUsed", {})
    profile, perr = page.attempt("GetLoginProfile", UserName=name)
    sections["login"] = (profile.get("LoginProfile") if profile else None,
                         None if perr is None or perr.code == "NoSuchEntity" else perr)
    groups = _choices(page)
    return page.render("user.html", status, name=name, user=got["User"], sections=sections, error=error,
                       groups=groups, extra=extra or {}, services=CREDENTIAL_SERVICES)


ACTIONS = {}


def action(name: str):
    def register(fn):
        ACTIONS[name] = fn
        return fn
    return register


def _status(f) -> str:
    return "Active" if f.get("status") == "Active" else "Inactive"


# Actions that are one operation on the user: form fields -> (operation, parameters, notice).
SIMPLE = {
    "add-group": lambda f: ("AddUserToGroup", {"GroupName": f.get("group", "")}, "added"),
    "remove-group": lambda f: ("RemoveUserFromGroup", {"GroupName": f.get("group", "")}, "removed"),
    "attach": lambda f: ("AttachUserPolicy", {"PolicyArn": f.get("arn", "").strip()}, "attached"),
    "detach": lambda f: ("DetachUserPolicy", {"PolicyArn": f.get("arn", "")}, "detached"),
    "put-inline": lambda f: ("PutUserPolicy", {"PolicyName": f.get("policy", "").strip(),
                                                "PolicyDocument": f.get("document", "")}, "updated"),
    "delete-inline": lambda f: ("DeleteUserPolicy", {"PolicyName": f.get("policy", "")}, "deleted"),
    "tag": lambda f: ("TagUser", {"Tags": [{"Key": f.get("key", ""), "Value": f.get("value", "")}]}, "added"),
    "untag": lambda f: ("UntagUser", {"TagKeys": [f.get("key", "")]}, "removed"),
    "key-status": lambda f: ("UpdateAccessKey", {"AccessKeyId": f.get("key", ""), "Status": _status(f)},
                             "updated"),
    "key-delete": lambda f: ("DeleteAccessKey", {"AccessKeyId": f.get("key", "")}, "deleted"),
    "mfa-enable": lambda f: ("EnableMFADevice", {"SerialNumber": f.get("serial", ""),
                                                 "AuthenticationCode1": f.get("code1", "").strip(),
                                                 "AuthenticationCode2": f.get("code2", "").strip()}, "mfa"),
    "password-delete": lambda f: ("DeleteLoginProfile", {}, "deleted"),
    "ssh-upload": lambda f: ("UploadSSHPublicKey", {"SSHPublicKeyBody": f.get("body", "").strip()}, "added"),
    "ssh-status": lambda f: ("UpdateSSHPublicKey", {"SSHPublicKeyId": f.get("key", ""), "Status": _status(f)},
                             "updated"),
    "ssh-delete": lambda f: ("DeleteSSHPublicKey", {"SSHPublicKeyId": f.get("key", "")}, "deleted"),
    "service-credential-status": lambda f: ("UpdateServiceSpecificCredential", {
        "ServiceSpecificCredentialId": f.get("credential", ""), "Status": _status(f)}, "updated"),
    "service-credential-delete": lambda f: ("DeleteServiceSpecificCredential", {
        "ServiceSpecificCredentialId": f.get("credential", "")}, "deleted"),
    "delete": lambda f: ("DeleteUser", {}, "deleted"),
}


@route("POST", "/users/(?P<name>[^/]+)/(?P<act>[a-z-]+)")
def user_action(page, name, act):
    fn = ACTIONS.get(act)
    if fn is None and act not in SIMPLE:
        return page.render("error.html", 404, heading=404, message="Not found.")
    try:
        if fn is None:
            op, params, result = SIMPLE[act](page.form)
            page.call(op, UserName=name, **params)
        else:
            result = fn(page, name, page.form)
    except Denied as err:
        return user(page, name, error=err, status=400)
    if isinstance(result, dict):  # something to show once (a new key, an MFA device to confirm)
        return user(page, name, extra=result)
    if act == "delete":
        return page.redirect("/users", "deleted")
    return page.redirect(f"/users/{quote(name, safe='')}", result or "updated")


@action("key-create")
def _key_create(page, name, f):
    key = page.call("CreateAccessKey", UserName=name)["AccessKey"]
    return {"key": key, "csv_href": _key_csv(name, key)}


@action("mfa-create")
def _mfa_create(page, name, f):
    device = page.call("CreateVirtualMFADevice", VirtualMFADeviceName=f.get("device", "").strip() or name)
    device = device["VirtualMFADevice"]
    return {"mfa": {"serial": device["SerialNumber"], "seed": device["Base32StringSeed"].decode(),
                    "qr": "data:image/png;base64," + base64.b64encode(device["QRCodePNG"]).decode()}}


@action("mfa-deactivate")
def _mfa_deactivate(page, name, f):
    page.call("DeactivateMFADevice", UserName=name, SerialNumber=f.get("serial", ""))
    page.call("DeleteVirtualMFADevice", SerialNumber=f.get("serial", ""))
    return "removed"


@action("password")
def _password(page, name, f):
    reset = bool(f.get("reset"))
    _, missing = page.attempt("GetLoginProfile", UserName=name)
    if missing is not None and missing.code == "NoSuchEntity":
        page.call("CreateLoginProfile", UserName=name, Password=f.get("password", ""), PasswordResetRequired=reset)
    else:
        page.call("UpdateLoginProfile", UserName=name, Password=f.get("password", ""), PasswordResetRequired=reset)


def _credential_shown(credential: dict) -> dict:
    """A new or reset service-specific credential, to show once: its user name (or API key
    alias) and its password (or secret)."""
    return {"service_credential": {
        "service": credential["ServiceName"], "id": credential["ServiceSpecificCredentialId"],
        "user": credential.get("ServiceUserName") or credential.get("ServiceCredentialAlias", ""),
        "secret": credential.get("ServicePassword") or credential.get("ServiceCredentialSecret", ""),
        "api_key": "ServiceCredentialSecret" in credential}}


@action("service-credential-create")
def _service_credential_create(page, name, f):
    days = f.get("days", "").strip()
    out = page.call("CreateServiceSpecificCredential", UserName=name, ServiceName=f.get("service", ""),
                    CredentialAgeDays=days or None)
    return _credential_shown(out["ServiceSpecificCredential"])


@action("service-credential-reset")
def _service_credential_reset(page, name, f):
    out = page.call("ResetServiceSpecificCredential", UserName=name,
                    ServiceSpecificCredentialId=f.get("credential", ""))
    return _credential_shown(out["ServiceSpecificCredential"])
