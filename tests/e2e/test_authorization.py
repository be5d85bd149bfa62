"""Every call authorized as AWS authorizes it: a persona × operation matrix.

Each persona is a principal whose rights come from one kind of policy (root; an admin; the
AWS-managed ReadOnlyAccess; nothing; a group; an explicit deny; an admin cut down by a
permissions boundary; `${aws:username}` self-service). Each cell is an operation on a
fresh target and expects either success or AWS's exact AccessDenied (403), and after a
denial checks that nothing changed. Tag conditions (aws:ResourceTag, iam:ResourceTag,
aws:RequestTag, aws:TagKeys), aws:SourceIp, iam:PolicyARN, iam:PassRole and the
AllowUsersToChangePassword grant have tests of their own.
"""


import pytest
from botocore.exceptions import ClientError

from helpers import allow, client_of, deny, doc, error, grant

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


class Personas:
    """The principals of the matrix, made once per server (engine)."""

    def __init__(self, server, iam, tag):
        self.server, self.iam, self.tag = server, iam, tag
        self.arn = {}
        self.clients = {"root": iam}
        self._user("admin", attach=ADMIN)
        self._user("readonly", attach=READ_ONLY)
        self._user("nobody")
        group = f"readers-{tag}"
        iam.create_group(GroupName=group)
        iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])))
        self._user("grouped")
        iam.add_user_to_group(GroupName=group, UserName=self.name("grouped"))
        self._user("denied", attach=ADMIN)
        iam.put_user_policy(UserName=self.name("denied"), PolicyName="no-deletes", PolicyDocument=doc(
            deny(["iam:DeleteUser", "iam:CreateAccessKey", "iam:AttachUserPolicy"])))
        self._user("bounded", attach=ADMIN, boundary=IAM_READ_ONLY)
        self._user("self")
        iam.put_user_policy(UserName=self.name("self"), PolicyName="self-service", PolicyDocument=doc(
            allow(["iam:GetUser", "iam:*AccessKey*"], f"arn:aws:iam::{server.account_id}:user/${{aws:username}}")))

    def name(self, persona: str) -> str:
        return f"{persona}-{self.tag}"

    def _user(self, persona, attach=None, boundary=None):
        n = self.name(persona)
        self.iam.create_user(UserName=n, **({"PermissionsBoundary": boundary} if boundary else {}))
        if attach:
            self.iam.attach_user_policy(UserName=n, PolicyArn=attach)
        self.arn[persona] = f"arn:aws:iam::{self.server.account_id}:user/{n}"
        self.clients[persona] = client_of(self.server, self.iam, n)


@pytest.fixture(scope="module")
def personas(server):
    import secrets
    return Personas(server, server.client("iam"), secrets.token_hex(3))


PERSONAS = ("root", "admin", "readonly", "nobody", "grouped", "denied", "bounded", "self")


# -- the operations: call(client, target, name) and, for writes, what must be unchanged -----

def _keys(iam, user):
    return [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]


def _attached(iam, user):
    return [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]]


def _exists(iam, user):
    try:
        iam.get_user(UserName=user)
        return True
    except ClientError:
        return False


# name -> (call, resource named in a denial ("" for none), observe-the-state or None)
OPERATIONS = {
    "ListUsers": (lambda c, t, n: c.list_users(MaxItems=1), "arn:aws:iam::{account}:user/", None),
    "GetUser": (lambda c, t, n: c.get_user(UserName=t), "user {target}", None),
    "GetAccountSummary": (lambda c, t, n: c.get_account_summary(), "", None),
    "CreateUser": (lambda c, t, n: c.create_user(UserName=n), "user {new}", lambda iam, t, n: _exists(iam, n)),
    "DeleteUser": (lambda c, t, n: c.delete_user(UserName=t), "user {target}", lambda iam, t, n: _exists(iam, t)),
    "CreateAccessKey": (lambda c, t, n: c.create_access_key(UserName=t), "user {target}",
                        lambda iam, t, n: _keys(iam, t)),
    "AttachUserPolicy": (lambda c, t, n: c.attach_user_policy(UserName=t, PolicyArn=IAM_READ_ONLY),
                         "user {target}", lambda iam, t, n: _attached(iam, t)),
    "PutUserPolicy": (lambda c, t, n: c.put_user_policy(UserName=t, PolicyName="p", PolicyDocument=doc(
        allow("s3:GetObject"))), "user {target}",
        lambda iam, t, n: iam.list_user_policies(UserName=t)["PolicyNames"]),
}

NO_IDENTITY = "because no identity-based policy allows the {action} action"
EXPLICIT = "with an explicit deny in an identity-based policy"
NO_BOUNDARY = "because no permissions boundary allows the {action} action"
READS = {"ListUsers", "GetUser", "GetAccountSummary"}

# persona -> operation -> None (allowed) or the reason phrase of the denial
EXPECTED = {
    "root": {},
    "admin": {},
    "readonly": {op: NO_IDENTITY for op in OPERATIONS if op not in READS},
    "nobody": {op: NO_IDENTITY for op in OPERATIONS},
    "grouped": {op: NO_IDENTITY for op in OPERATIONS if op not in READS},
    "denied": {"DeleteUser": EXPLICIT, "CreateAccessKey": EXPLICIT, "AttachUserPolicy": EXPLICIT},
    "bounded": {op: NO_BOUNDARY for op in OPERATIONS if op not in READS},
    "self": {op: NO_IDENTITY for op in OPERATIONS},  # every target is another user
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(personas, server, iam, name, persona, operation):
    call, resource, observe = OPERATIONS[operation]
    target, new = name("target"), name("new")
    iam.create_user(UserName=target)
    before = observe(iam, target, new) if observe else None
    reason = EXPECTED[persona].get(operation)
    client = personas.clients[persona]
    if reason is None:
        call(client, target, new)
        return
    with pytest.raises(ClientError) as e:
        call(client, target, new)
    action = f"iam:{operation}"
    named = resource.format(account=server.account_id, target=target, new=new)
    on = f" on resource: {named}" if named else ""
    assert error(e) == ("AccessDenied", f"User: {personas.arn[persona]} is not authorized to perform: "
                        f"{action}{on} {reason.format(action=action)}", 403)
    if observe:
        assert observe(iam, target, new) == before


def test_self_service_through_aws_username(personas, server):
    me, n = personas.clients["self"], personas.name("self")
    assert me.get_user()["User"]["UserName"] == n
    assert me.get_user(UserName=n)["User"]["UserName"] == n
    key = me.create_access_key()["AccessKey"]
    assert key["UserName"] == n
    me.delete_access_key(AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        me.list_groups_for_user(UserName=n)
    assert error(e) == ("AccessDenied", f"User: {personas.arn['self']} is not authorized to perform: "
                        f"iam:ListGroupsForUser on resource: user {n} because no identity-based policy "
                        "allows the iam:ListGroupsForUser action", 403)


def test_get_caller_identity_is_never_denied(personas):
    for persona in PERSONAS[1:]:
        sts = personas.server.client("sts", *_key_of(personas, persona))
        assert sts.get_caller_identity()["Arn"] == personas.arn[persona]


def _key_of(personas, persona):
    creds = personas.clients[persona]._request_signer._credentials
    return creds.access_key, creds.secret_key


# -- tag conditions ----------------------------------------------------------------------------

def test_resource_and_request_tags(server, iam, name):
    n = name("tagger")
    iam.create_user(UserName=n, Tags=[{"Key": "team", "Value": "blue"}])
    me = client_of(server, iam, n)
    iam.put_user_policy(UserName=n, PolicyName="tags", PolicyDocument=doc(
        allow("iam:GetUser", Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
        allow("iam:ListUserTags", Condition={"StringEquals": {"iam:ResourceTag/Team": "blue"}}),
        allow(["iam:CreateUser", "iam:TagUser"], Condition={
            "StringEquals": {"aws:RequestTag/team": "blue"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})))
    blue, red = name("blue"), name("red")
    iam.create_user(UserName=blue, Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName=red, Tags=[{"Key": "Team", "Value": "red"}])
    assert me.get_user(UserName=blue)["User"]["UserName"] == blue
    assert me.list_user_tags(UserName=blue)["Tags"] == [{"Key": "team", "Value": "blue"}]
    arn = f"arn:aws:iam::{server.account_id}:user/{n}"

    def denied(call, action, target):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("AccessDenied", f"User: {arn} is not authorized to perform: iam:{action} on resource: "
                            f"user {target} because no identity-based policy allows the iam:{action} action", 403)

    denied(lambda: me.get_user(UserName=red), "GetUser", red)
    denied(lambda: me.list_user_tags(UserName=red), "ListUserTags", red)
    made = name("made")
    me.create_user(UserName=made, Tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_user_tags(UserName=made)["Tags"] == [{"Key": "team", "Value": "blue"}]
    for tags in ([{"Key": "team", "Value": "red"}], [{"Key": "team", "Value": "blue"}, {"Key": "x", "Value": "1"}],
                 []):
        other = name("refused")
        denied(lambda: me.create_user(UserName=other, Tags=tags), "CreateUser", other)
        with pytest.raises(ClientError) as e:
            iam.get_user(UserName=other)
        assert error(e)[0] == "NoSuchEntity"
    me.tag_user(UserName=red, Tags=[{"Key": "team", "Value": "blue"}])
    denied(lambda: me.tag_user(UserName=red, Tags=[{"Key": "owner", "Value": "me"}]), "TagUser", red)
    assert iam.list_user_tags(UserName=red)["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_principal_tag_change_applies(server, iam, name):
    n = name("tagged")
    iam.create_user(UserName=n, Tags=[{"Key": "level", "Value": "low"}])
    me = client_of(server, iam, n)
    grant(iam, n, "iam:ListUsers")
    iam.put_user_policy(UserName=n, PolicyName="level", PolicyDocument=doc(
        deny("iam:ListUsers", Condition={"StringNotEquals": {"aws:PrincipalTag/level": "high"}})))
    with pytest.raises(ClientError) as e:
        me.list_users(MaxItems=1)
    assert error(e)[0] == "AccessDenied" and "with an explicit deny" in error(e)[1]
    iam.tag_user(UserName=n, Tags=[{"Key": "level", "Value": "high"}])
    assert "Users" in me.list_users(MaxItems=1)


# -- other context keys ------------------------------------------------------------------------

def test_source_ip(server, iam, name):
    n = name("ip")
    iam.create_user(UserName=n)
    me = client_of(server, iam, n)
    iam.put_user_policy(UserName=n, PolicyName="ip", PolicyDocument=doc(
        allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
        allow("iam:GetAccountSummary", Condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1/128"]}})))
    assert "Users" in me.list_users(MaxItems=1)
    with pytest.raises(ClientError) as e:
        me.get_account_summary()
    assert error(e) == ("AccessDenied", f"User: arn:aws:iam::{server.account_id}:user/{n} is not authorized to "
                        "perform: iam:GetAccountSummary because no identity-based policy allows the "
                        "iam:GetAccountSummary action", 403)
    # aws:SourceIp is the connection's peer: a forwarding header cannot claim another address
    spoofing = lambda request, **_: request.headers.__setitem__("X-Forwarded-For", "10.1.2.3")  # noqa: E731
    me.meta.events.register("before-sign.iam.GetAccountSummary", spoofing)
    with pytest.raises(ClientError) as e:
        me.get_account_summary()
    assert error(e)[0] == "AccessDenied"


def test_policy_arn_condition(server, iam, name, user):
    n = name("attacher")
    iam.create_user(UserName=n)
    me = client_of(server, iam, n)
    iam.put_user_policy(UserName=n, PolicyName="attach", PolicyDocument=doc(
        allow("iam:AttachUserPolicy", Condition={"ArnEquals": {"iam:PolicyARN": IAM_READ_ONLY}})))
    target = user()
    me.attach_user_policy(UserName=target, PolicyArn=IAM_READ_ONLY)
    with pytest.raises(ClientError) as e:
        me.attach_user_policy(UserName=target, PolicyArn=ADMIN)
    assert error(e)[0] == "AccessDenied"
    assert _attached(iam, target) == [IAM_READ_ONLY]


def test_permissions_boundary_condition_on_create_user(server, iam, name):
    n = name("delegate")
    iam.create_user(UserName=n)
    me = client_of(server, iam, n)
    iam.put_user_policy(UserName=n, PolicyName="bounded-creation", PolicyDocument=doc(
        allow("iam:CreateUser", Condition={"StringEquals": {"iam:PermissionsBoundary": IAM_READ_ONLY}})))
    ok = name("ok")
    me.create_user(UserName=ok, PermissionsBoundary=IAM_READ_ONLY)
    refused = name("refused")
    with pytest.raises(ClientError) as e:
        me.create_user(UserName=refused)
    assert error(e)[1].endswith(f"iam:CreateUser on resource: user {refused} because no identity-based "
                                "policy allows the iam:CreateUser action")
    assert not _exists(iam, refused)


def test_add_role_to_instance_profile_needs_pass_role(server, iam, name):
    from helpers import TRUST
    n, role, profile = name("passer"), name("role"), name("profile")
    iam.create_user(UserName=n)
    me = client_of(server, iam, n)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName=profile)
    grant(iam, n, "iam:AddRoleToInstanceProfile")
    with pytest.raises(ClientError) as e:
        me.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert error(e) == ("AccessDenied", f"User: arn:aws:iam::{server.account_id}:user/{n} is not authorized to "
                        f"perform: iam:PassRole on resource: arn:aws:iam::{server.account_id}:role/{role} because "
                        "no identity-based policy allows the iam:PassRole action", 403)
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"] == []
    iam.put_user_policy(UserName=n, PolicyName="pass", PolicyDocument=doc(
        allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})))
    me.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
            ["Roles"]] == [role]


def test_rename_needs_the_new_name_too(server, iam, name):
    n, old, new = name("renamer"), name("old"), name("new")
    iam.create_user(UserName=n)
    iam.create_user(UserName=old)
    me = client_of(server, iam, n)
    grant(iam, n, "iam:UpdateUser", resource=f"arn:aws:iam::{server.account_id}:user/{old}")
    with pytest.raises(ClientError) as e:
        me.update_user(UserName=old, NewUserName=new)
    assert error(e)[1].endswith(f"iam:UpdateUser on resource: user {new} because no identity-based policy "
                                "allows the iam:UpdateUser action")
    assert _exists(iam, old) and not _exists(iam, new)


def test_group_membership_change_applies(server, iam, name):
    n, group = name("member"), name("group")
    iam.create_user(UserName=n)
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=IAM_READ_ONLY)
    me = client_of(server, iam, n)
    with pytest.raises(ClientError):
        me.list_roles(MaxItems=1)
    iam.add_user_to_group(GroupName=group, UserName=n)
    assert "Roles" in me.list_roles(MaxItems=1)
    iam.remove_user_from_group(GroupName=group, UserName=n)
    with pytest.raises(ClientError):
        me.list_roles(MaxItems=1)


def test_new_default_version_applies(server, iam, name):
    n, pname = name("versioned"), name("policy")
    iam.create_user(UserName=n)
    me = client_of(server, iam, n)
    arn = iam.create_policy(PolicyName=pname, PolicyDocument=doc(allow("iam:ListGroups")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=n, PolicyArn=arn)
    assert "Groups" in me.list_groups(MaxItems=1)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListRoles")), SetAsDefault=True)
    with pytest.raises(ClientError):
        me.list_groups(MaxItems=1)
    assert "Roles" in me.list_roles(MaxItems=1)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert "Groups" in me.list_groups(MaxItems=1)


def test_change_password_implicit_grant_yields_to_explicit_deny(own_server, name):
    iam = own_server.client("iam")
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    try:
        n = name("pw")
        iam.create_user(UserName=n)
        iam.create_login_profile(UserName=n, Password="Old-passw0rd!")
        me = client_of(own_server, iam, n)
        assert "PasswordPolicy" in me.get_account_password_policy()
        me.change_password(OldPassword="Old-passw0rd!", NewPassword="New-passw0rd!")
        iam.put_user_policy(UserName=n, PolicyName="no", PolicyDocument=doc(deny("iam:ChangePassword")))
        with pytest.raises(ClientError) as e:
            me.change_password(OldPassword="New-passw0rd!", NewPassword="Third-passw0rd!")
        assert error(e) == ("AccessDenied", f"User: arn:aws:iam::{own_server.account_id}:user/{n} is not "
                            f"authorized to perform: iam:ChangePassword on resource: user {n} with an explicit "
                            "deny in an identity-based policy", 403)
    finally:
        iam.delete_account_password_policy()


@pytest.mark.parametrize("operation,kind", [("list_roles", "role"), ("list_groups", "group"),
                                            ("list_instance_profiles", "instance-profile")])
def test_listings_name_the_type_and_path_prefix(personas, server, operation, kind):
    """As recorded against AWS: a denied listing names `…:<type>/` and the PathPrefix."""
    nobody, account = personas.clients["nobody"], server.account_id
    action = "iam:" + "".join(w.title() for w in operation.split("_"))
    for kwargs, prefix in (({}, "/"), ({"PathPrefix": "/team/"}, "/team/")):
        with pytest.raises(ClientError) as exc:
            getattr(nobody, operation)(**kwargs)
        assert error(exc) == ("AccessDenied", f"User: {personas.arn['nobody']} is not authorized to perform: "
                              f"{action} on resource: arn:aws:iam::{account}:{kind}{prefix} "
                              f"because no identity-based policy allows the {action} action", 403)


@pytest.mark.parametrize("call", [
    lambda c: c.delete_policy(PolicyArn=IAM_READ_ONLY),
    lambda c: c.create_policy_version(PolicyArn=IAM_READ_ONLY, PolicyDocument=doc(allow("s3:GetObject"))),
    lambda c: c.set_default_policy_version(PolicyArn=IAM_READ_ONLY, VersionId="v1"),
    lambda c: c.delete_policy_version(PolicyArn=IAM_READ_ONLY, VersionId="v1"),
    lambda c: c.tag_policy(PolicyArn=IAM_READ_ONLY, Tags=[{"Key": "k", "Value": "v"}]),
    lambda c: c.untag_policy(PolicyArn=IAM_READ_ONLY, TagKeys=["k"]),
], ids=["delete", "version", "default", "delete-version", "tag", "untag"])
@pytest.mark.parametrize("persona", ["root", "admin"])
def test_aws_managed_policies_cannot_be_changed(personas, iam, persona, call):
    """AWS managed policies lie outside the account: root and admins are refused alike."""
    before = iam.get_policy(PolicyArn=IAM_READ_ONLY)["Policy"]
    with pytest.raises(ClientError) as exc:
        call(personas.clients[persona])
    code, message, status = error(exc)
    assert (code, status) == ("AccessDenied", 403) and IAM_READ_ONLY in message, message
    assert iam.get_policy(PolicyArn=IAM_READ_ONLY)["Policy"] == before
