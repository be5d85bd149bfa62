"""Temporary delegation between two accounts hosted on one server: a partner's request, the
customer's association, forwarding, acceptance and release of the trade-in token, and the
partner's delegated credentials; AWS's states, visibility rules and errors.
Accounts come from `iamd accounts create` on the shared server's store."""

import json
import secrets
import time

import pytest
from botocore.exceptions import ClientError
from helpers import client_of, code_status_message, db, grant, new_account, ok, run_iamd, store_args
from sts_helpers import make_role, session_client, trust_of

CHANNEL = "arn:aws:sns:us-east-1:{}:partner-topic"
TEMPLATE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "@{actions}", "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "arn:aws:iam::*:role/@{prefix}-*",
     "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess"}}}]}


def other_account(server, alias: str | None = None):
    """(account id, IAM client, STS client) of a new account's root (`iamd accounts create`)."""
    account, key, secret = new_account(server, alias)
    return account, server.client("iam", key, secret), server.client("sts", key, secret)


def register_template(server, tmp_path, account: str, name: str, template=TEMPLATE) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(template))
    return ok(run_iamd("delegation", "template", str(path), "--account", account, "--name", name,
                       *store_args(server))).strip()


def outbox(server, channel: str) -> list:
    out = ok(run_iamd("delegation", "outbox", "--channel", channel, *store_args(server)))
    return [json.loads(line)["Message"] for line in out.splitlines()]


@pytest.fixture
def partner(server, iam, name, tmp_path):
    """A partner account with a registered template: (account, iam, sts, template ARN)."""
    account, p_iam, p_sts = other_account(server, f"partner-{secrets.token_hex(4)}")
    arn = register_template(server, tmp_path, account, name("tpl"))
    return account, p_iam, p_sts, arn


def request(p_iam, template_arn: str, owner: str | None, name, duration=3600, **kw) -> str:
    params = {"Description": "Set up the monitoring integration", "RequestorWorkflowId": name("workflow"),
              "NotificationChannel": CHANNEL.format("111122223333"),
              "SessionDuration": duration,
              "Permissions": {"PolicyTemplateArn": template_arn, "Parameters": [
                  {"Name": "actions", "Values": ["iam:ListUsers", "iam:GetUser"], "Type": "stringList"},
                  {"Name": "prefix", "Values": ["monitor"], "Type": "string"}]}, **kw}
    if owner:
        params["OwnerAccountId"] = owner
    return p_iam.create_delegation_request(**params)["DelegationRequestId"]


def customer_role_session(server, iam, name, *extra: str):
    """An IAM and STS client of a role session in the server's account that may handle
    delegation requests (and list users), and the role's ARN."""
    role = name("approver")
    arn = make_role(iam, role, trust_of(f"arn:aws:iam::{server.account_id}:root"),
                    "iam:*DelegationRequest*", "iam:SendDelegationToken", "iam:GetHumanReadableSummary",
                    "iam:ListUsers", "iam:GetUser", *extra)
    caller = name("caller")
    iam.create_user(UserName=caller)
    sts = client_of(server, iam, caller, "sts", allow=("sts:AssumeRole",))
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="reviewer")["Credentials"]
    return session_client(server, creds), session_client(server, creds, "sts"), arn


def error(fn, **kw):
    with pytest.raises(ClientError) as exc:
        fn(**kw)
    return code_status_message(exc)


def test_the_delegation_flow_between_two_accounts(server, iam, name, partner):
    p_account, p_iam, p_sts, template = partner
    rid = request(p_iam, template, server.account_id, name, RequestMessage="Please approve")
    c_iam, c_sts, role_arn = customer_role_session(server, iam, name)

    got = c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert got["State"] == "UNASSIGNED" and got["OwnerAccountId"] == server.account_id
    assert got["RequestorId"] == p_account and "OwnerId" not in got
    assert got["RequestorName"].startswith("partner-")
    policy = json.loads(got["PermissionPolicy"])
    assert policy["Statement"][0]["Action"] == ["iam:ListUsers", "iam:GetUser"]
    assert policy["Statement"][1]["Resource"] == "arn:aws:iam::*:role/monitor-*"
    assert got["RolePermissionRestrictionArns"] == ["arn:aws:iam::aws:policy/PowerUserAccess"]
    assert got["ExpirationTime"] > got["CreateDate"]

    c_iam.associate_delegation_request(DelegationRequestId=rid)
    session_arn = c_sts.get_caller_identity()["Arn"]
    got = c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert (got["State"], got["OwnerId"]) == ("ASSIGNED", session_arn)
    listed = c_iam.list_delegation_requests()["DelegationRequests"]
    assert rid in [r["DelegationRequestId"] for r in listed]

    c_iam.update_delegation_request(DelegationRequestId=rid, Notes="Forwarded to the administrator")
    got = c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert (got["State"], got["Notes"]) == ("PENDING_APPROVAL", "Forwarded to the administrator")

    c_iam.accept_delegation_request(DelegationRequestId=rid)
    got = c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert (got["State"], got["ApproverId"]) == ("ACCEPTED", session_arn)
    c_iam.send_delegation_token(DelegationRequestId=rid)
    assert c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]["State"] == "FINALIZED"

    messages = [m for m in outbox(server, CHANNEL.format("111122223333")) if m["DelegationRequestId"] == rid]
    assert [m["State"] for m in messages] == ["ASSIGNED", "PENDING_APPROVAL", "ACCEPTED", "FINALIZED"]
    token = messages[-1]["TradeInToken"]

    answer = p_sts.get_delegated_access_token(TradeInToken=token)
    assert answer["AssumedPrincipal"] == role_arn
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    delegated = session_client(server, creds)
    assert delegated.list_users()["Users"] is not None  # the request and the role both allow it
    denied = error(delegated.list_roles)  # the role may not, and the request asks for no such thing
    assert denied[:2] == ("AccessDenied", 403)
    identity = session_client(server, creds, "sts").get_caller_identity()
    assert identity["Account"] == server.account_id and identity["Arn"] == session_arn

    again = error(p_sts.get_delegated_access_token, TradeInToken=token)
    assert again[:2] == ("ExpiredTradeInTokenException", 400)
    with pytest.raises(ClientError):  # a finalized request is final
        c_iam.reject_delegation_request(DelegationRequestId=rid)


def test_states_and_their_rules(server, iam, name, partner):
    _, p_iam, p_sts, template = partner
    c_iam, _, _ = customer_role_session(server, iam, name)
    rid = request(p_iam, template, server.account_id, name)

    code, status, message = error(c_iam.accept_delegation_request, DelegationRequestId=rid)
    assert (code, status) == ("InvalidInput", 400) and "UNASSIGNED" in message
    assert error(c_iam.send_delegation_token, DelegationRequestId=rid)[0] == "InvalidInput"
    # unassociated requests are not listed, even for the account they target
    assert rid not in [r["DelegationRequestId"] for r in c_iam.list_delegation_requests()["DelegationRequests"]]

    c_iam.associate_delegation_request(DelegationRequestId=rid)
    assert error(c_iam.associate_delegation_request, DelegationRequestId=rid)[0] == "InvalidInput"
    c_iam.accept_delegation_request(DelegationRequestId=rid)
    c_iam.reject_delegation_request(DelegationRequestId=rid, Notes="Not this quarter")
    got = c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert (got["State"], got["RejectionReason"]) == ("REJECTED", "Not this quarter")
    for call in (c_iam.accept_delegation_request, c_iam.update_delegation_request, c_iam.send_delegation_token):
        assert error(call, DelegationRequestId=rid)[:2] == ("InvalidInput", 400)
    # the partner sees its own requests
    assert p_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]["State"] == "REJECTED"
    assert rid in [r["DelegationRequestId"] for r in p_iam.list_delegation_requests()["DelegationRequests"]]


def test_who_sees_a_request(server, iam, name, partner, tmp_path):
    p_account, p_iam, _, template = partner
    third, t_iam, _ = other_account(server)
    targeted = request(p_iam, template, p_account, name)  # for the partner's own account only
    anyone = request(p_iam, template, None, name)
    missing = error(t_iam.get_delegation_request, DelegationRequestId=targeted)
    assert missing == ("NoSuchEntity", 404, f"The delegation request with id {targeted} cannot be found.")
    assert error(t_iam.associate_delegation_request, DelegationRequestId=targeted)[0] == "NoSuchEntity"
    assert error(iam.get_delegation_request, DelegationRequestId="0" * 36)[:2] == ("NoSuchEntity", 404)

    # without an owner account, the first account to associate it owns it
    assert t_iam.get_delegation_request(DelegationRequestId=anyone)["DelegationRequest"]["State"] == "UNASSIGNED"
    t_iam.associate_delegation_request(DelegationRequestId=anyone)
    got = t_iam.get_delegation_request(DelegationRequestId=anyone)["DelegationRequest"]
    assert (got["OwnerAccountId"], got["OwnerId"]) == (third, f"arn:aws:iam::{third}:root")
    assert error(iam.get_delegation_request, DelegationRequestId=anyone)[0] == "NoSuchEntity"


def test_create_errors(server, iam, name, partner, tmp_path):
    _, p_iam, _, template = partner
    workflow = name("workflow")
    request(p_iam, template, server.account_id, lambda _: workflow)
    assert error(request, p_iam=p_iam, template_arn=template, owner=None,
                 name=lambda _: workflow)[:2] == ("EntityAlreadyExists", 409)
    # a template registered for another account is not the partner's to use
    foreign = register_template(server, tmp_path, server.account_id, name("mine"))
    assert error(request, p_iam=p_iam, template_arn=foreign, owner=None, name=name)[:2] == ("InvalidInput", 400)
    bad = {"PolicyTemplateArn": template, "Parameters": [{"Name": "actions", "Values": ["iam:ListUsers"],
                                                          "Type": "stringList"}]}
    code, _, message = error(p_iam.create_delegation_request, Description="d", RequestorWorkflowId=name("w"),
                             NotificationChannel="topic", SessionDuration=900, Permissions=bad)
    assert code == "InvalidInput" and "prefix" in message


def test_the_root_user_approves_four_hours_at_most(server, iam, name, partner):
    _, p_iam, _, template = partner
    rid = request(p_iam, template, server.account_id, name, duration=5 * 3600)
    iam.associate_delegation_request(DelegationRequestId=rid)
    code, _, message = error(iam.accept_delegation_request, DelegationRequestId=rid)
    assert code == "InvalidInput" and "14400" in message
    short = request(p_iam, template, server.account_id, name, duration=4 * 3600)
    iam.associate_delegation_request(DelegationRequestId=short)
    iam.accept_delegation_request(DelegationRequestId=short)


def test_only_the_owner_sends_when_asked(server, iam, name, partner):
    _, p_iam, _, template = partner
    rid = request(p_iam, template, server.account_id, name, OnlySendByOwner=True)
    c_iam, _, _ = customer_role_session(server, iam, name)
    c_iam.associate_delegation_request(DelegationRequestId=rid)
    iam.accept_delegation_request(DelegationRequestId=rid)  # a more privileged identity approves
    code, _, message = error(iam.send_delegation_token, DelegationRequestId=rid)
    assert code == "InvalidInput" and "owner" in message
    c_iam.send_delegation_token(DelegationRequestId=rid)


def test_permission_check_and_summary(server, iam, name, partner, user):
    p_account, p_iam, _, template = partner
    rid = request(p_iam, template, server.account_id, name)
    c_iam, _, _ = customer_role_session(server, iam, name)
    checked = c_iam.get_delegation_request(DelegationRequestId=rid, DelegationPermissionCheck=True)
    assert checked["PermissionCheckResult"] == "DENIED"  # the role may not create roles
    c_iam, _, _ = customer_role_session(server, iam, name, "iam:CreateRole")
    checked = c_iam.get_delegation_request(DelegationRequestId=rid, DelegationPermissionCheck=True)
    # the role may do all the request asks, but the request's CreateRole has a condition
    assert (checked["PermissionCheckStatus"], checked["PermissionCheckResult"]) == ("COMPLETE", "UNSURE")
    weak = user()
    w_iam = client_of(server, iam, weak, allow=("iam:GetDelegationRequest",))
    checked = w_iam.get_delegation_request(DelegationRequestId=rid, DelegationPermissionCheck=True)
    assert checked["PermissionCheckResult"] == "DENIED"
    assert "PermissionCheckStatus" not in c_iam.get_delegation_request(DelegationRequestId=rid)

    arn = f"arn:aws:iam::{server.account_id}:delegation-request/{rid}"  # as the customer names it
    first = c_iam.get_human_readable_summary(EntityArn=arn)
    assert first == {**first, "SummaryState": "AVAILABLE", "Locale": "en"}
    text = first["SummaryContent"]
    assert text.startswith(f"Account {p_account} requests temporary access to account {server.account_id} "
                           f"for 1 hour.")
    assert "- iam:ListUsers and iam:GetUser on every resource." in text
    assert ("- iam:CreateRole on arn:aws:iam::*:role/monitor-*, only when iam:PermissionsBoundary is "
            "arn:aws:iam::aws:policy/PowerUserAccess.") in text
    assert c_iam.get_human_readable_summary(EntityArn=arn)["SummaryContent"] == text  # deterministic
    other = c_iam.get_human_readable_summary(EntityArn=arn, Locale="fr-FR")
    assert (other["SummaryState"], other["Locale"], other["SummaryContent"]) == ("NOT_SUPPORTED", "fr-FR", "")
    bad = error(c_iam.get_human_readable_summary, EntityArn=f"arn:aws:iam::{server.account_id}:user/someone")
    assert bad[:2] == ("InvalidInput", 400)
    grant(iam, weak, "iam:GetDelegationRequest", name="nothing-else")
    assert error(w_iam.get_human_readable_summary, EntityArn=arn)[:2] == ("AccessDenied", 403)


def test_the_owner_may_read_and_update_its_request_without_a_policy(server, iam, name, partner, user):
    _, p_iam, _, template = partner
    rid = request(p_iam, template, server.account_id, name)
    owner, bystander = user(), user()
    o_iam = client_of(server, iam, owner, allow=("iam:AssociateDelegationRequest",))
    b_iam = client_of(server, iam, bystander, allow=("iam:ListUsers",))
    # before it owns the request, the user needs the permission like anyone
    assert error(o_iam.get_delegation_request, DelegationRequestId=rid)[:2] == ("AccessDenied", 403)
    o_iam.associate_delegation_request(DelegationRequestId=rid)
    assert o_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]["OwnerId"].endswith(owner)
    o_iam.update_delegation_request(DelegationRequestId=rid, Notes="Please approve")
    o_iam.get_human_readable_summary(EntityArn=f"arn:aws:iam::{server.account_id}:delegation-request/{rid}")
    assert error(o_iam.accept_delegation_request, DelegationRequestId=rid)[:2] == ("AccessDenied", 403)
    assert error(b_iam.get_delegation_request, DelegationRequestId=rid)[:2] == ("AccessDenied", 403)


def test_requests_expire(server, iam, name, partner):
    from iamd.store.schema.delegation import delegation_requests
    _, p_iam, p_sts, template = partner
    c_iam, _, _ = customer_role_session(server, iam, name)
    rid = request(p_iam, template, server.account_id, name)
    got = c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert (got["ExpirationTime"] - got["CreateDate"]).total_seconds() == pytest.approx(86400, abs=2)
    c_iam.associate_delegation_request(DelegationRequestId=rid)
    got = c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert (got["ExpirationTime"] - got["UpdatedTime"]).total_seconds() == pytest.approx(7 * 86400, abs=2)
    c_iam.accept_delegation_request(DelegationRequestId=rid)
    c_iam.send_delegation_token(DelegationRequestId=rid)
    token = [m for m in outbox(server, CHANNEL.format("111122223333"))
             if m["DelegationRequestId"] == rid][-1]["TradeInToken"]
    engine = db(server)  # a week passes
    try:
        with engine.begin() as conn:
            conn.execute(delegation_requests.update().where(delegation_requests.c.request_id == rid)
                         .values(expires_at=time.time() - 1))
    finally:
        engine.dispose()
    assert c_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]["State"] == "EXPIRED"
    assert error(p_sts.get_delegated_access_token, TradeInToken=token)[0] == "ExpiredTradeInTokenException"
    assert error(p_sts.get_delegated_access_token, TradeInToken="made-up")[0] == "ExpiredTradeInTokenException"
