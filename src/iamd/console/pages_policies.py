"""Managed policies: the list by scope, creating one, a policy's page (document editor,
versions and the default, entities attached) and the as-you-type check of a document."""

import json
from urllib.parse import quote

from ..policy.grammar import check_document
from ..protocol.errors import AWSError
from .pages_entities import pretty
from .routes import Denied, route
from .web import raw

PAGE_SIZE = 50
SCOPES = ("Local", "AWS", "All")
KINDS = {"managed": "managed", "trust": "trust", "inline": "identity"}


@route("GET", "/policies")
def policies(page, error=None, status=200, document=""):
    q = page.req.query
    scope = q.get("scope") if q.get("scope") in SCOPES else "Local"
    marker = q.get("marker") or None
    out, err = page.attempt("ListPolicies", Scope=scope, MaxItems=PAGE_SIZE, Marker=marker)
    return page.render("policies.html", status, policies=(out or {}).get("Policies", []), scope=scope,
                       scopes=SCOPES, next_marker=out.get("Marker") if out and out.get("IsTruncated") else None,
                       first=marker is None, error=error or err, document=document,
                       name=page.form.get("name", "") if page.form else "")


@route("POST", "/policies")
def policy_create(page):
    f = page.form
    try:
        out = page.call("CreatePolicy", PolicyName=f.get("name", "").strip(), PolicyDocument=f.get("document", ""),
                        Description=f.get("description", "").strip() or None)
    except Denied as err:
        return policies(page, error=err, status=400, document=f.get("document", ""))
    return page.redirect(f"/policy?arn={quote(out['Policy']['Arn'], safe='')}", "created")


@route("GET", "/policy")
def policy(page, error=None, status=200, document=None):
    arn = page.req.query.get("arn") or page.form.get("arn", "")
    got, denied = page.attempt("GetPolicy", PolicyArn=arn)
    if denied is not None:
        return page.render("policy.html", 403 if denied.code == "AccessDenied" else 404, arn=arn, policy=None,
                           error=denied, versions=[], document="", entities=None, entities_error=None,
                           versions_error=None)
    p = got["Policy"]
    version, _ = page.attempt("GetPolicyVersion", PolicyArn=arn, VersionId=p["DefaultVersionId"])
    versions, verr = page.attempt("ListPolicyVersions", PolicyArn=arn)
    entities, eerr = page.attempt("ListEntitiesForPolicy", PolicyArn=arn, MaxItems=100)
    if document is None:
        document = pretty(version["PolicyVersion"]["Document"]) if version else ""
    return page.render("policy.html", status, arn=arn, policy=p, document=document,
                       versions=(versions or {}).get("Versions", []), versions_error=verr,
                       entities=entities, entities_error=eerr, error=error)


@route("POST", "/policy/(?P<act>[a-z-]+)")
def policy_action(page, act):
    f = page.form
    arn = f.get("arn", "")
    try:
        if act == "save":
            page.call("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=f.get("document", ""), SetAsDefault=True)
        elif act == "default":
            page.call("SetDefaultPolicyVersion", PolicyArn=arn, VersionId=f.get("version", ""))
        elif act == "delete-version":
            page.call("DeletePolicyVersion", PolicyArn=arn, VersionId=f.get("version", ""))
        elif act == "delete":
            page.call("DeletePolicy", PolicyArn=arn)
            return page.redirect("/policies", "deleted")
        else:
            return page.render("error.html", 404, heading=404, message="Not found.")
    except Denied as err:
        page.req.query["arn"] = arn
        return policy(page, error=err, status=400, document=f.get("document") if act == "save" else None)
    return page.redirect(f"/policy?arn={quote(arn, safe='')}", "updated")


@route("POST", "/validate-policy")
def validate(page):
    """The grammar's verdict on a document as the editor's text changes (JSON in, JSON out):
    the same MalformedPolicyDocument message the operation would answer, without a write."""
    try:
        body = json.loads(page.req.json_body or b"{}")
        text, kind = str(body.get("document", "")), KINDS.get(body.get("kind"), "managed")
    except (ValueError, AttributeError):
        return raw(page.req, b'{"error": "The request is not JSON."}', "application/json", 400)
    try:
        check_document(text, kind)
        answer = {"valid": True}
    except AWSError as err:
        answer = {"valid": False, "code": err.code, "message": err.message}
    return raw(page.req, json.dumps(answer).encode(), "application/json")
