"""Which permission each IAM and STS operation needs: the operation table, kept as data.

One row per operation of botocore's IAM and STS models (reference §6.8, from the Service
Authorization Reference). A row says:

* `resource`: the ARN template of the resource the action is evaluated on. Templates are
  relative to `arn:aws:iam::<account>:` unless they are `*`, start with `arn:` or with a
  parameter that holds a whole ARN (`{PolicyArn}`), or are words (hold a space). Placeholders:
  `{Param}` a request parameter; `{Param|caller}` the caller's own user name when the
  parameter is omitted; `{Param|/}` a literal default; `{Param|Other}` another parameter
  as default; `{path}` the stored path of the entity the template names (looked up in
  the request's transaction, `/` when it does not exist); `{account}` the account;
  `{@name}` a value derived by the named resolver of `server/authorize.py`.
* `keys`: the condition keys the request itself supplies beyond the global ones
  (`aws:RequestTag` stands for every `aws:RequestTag/<k>` of the request's Tags).
  `aws:ResourceTag/*` (and `iam:ResourceTag/*` for users and roles) come with every
  resource that has tags, and are not listed.
* `named`: the resource AWS names in the AccessDenied message when it is not the
  evaluated one (recorded: ListUsers, ListRoles, ListGroups and ListInstanceProfiles name
  `…:user/`, `…:role/`, `…:group/`, `…:instance-profile/` + PathPrefix; ListPolicies names
  `policy path /`). Users, groups and roles are named `<type> <name>` (`user alice`,
  `role cdk-…`, reference §6.9): `NAMED_BY_NAME` derives that from the template.
* `also`: further permissions AWS checks for the same call (`iam:PassRole` when a role is
  handed to EC2; the new name of a renamed entity), each with its own resource and fixed
  context; `when` makes one depend on a parameter being present.
* `implicit`: a grant that holds whatever the policies say (`always`: GetCallerIdentity,
  GetSessionToken;
  `password-change`: with AllowUsersToChangePassword a user may change its own password
  and read the password policy, reference §6.7; `trust`: assuming a role, decided with the
  role's trust policy once the handler found the role, server/authorize.py `assume`).

`SESSION_LIMITS` says what each kind of STS session may call at all, whatever its policies
(reference §7.2–7.4): IAM (`always`, `mfa`: only when MFA was presented, `never`) and the
STS operations it may call.

`POLICY_CHANGES` lists the operations whose success changes what some principal may do;
the seam bumps the account's policy generation in their transaction, so every worker's
cache of compiled policies notices (store/principal_policies.py).
"""

import re
from dataclasses import dataclass

ALWAYS = "always"
PASSWORD_CHANGE = "password-change"
DELEGATION_OWNER = "delegation-owner"
TRUST = "trust"


@dataclass(frozen=True, slots=True)
class Check:
    action: str  # "iam:GetUser"; "" in a row: the operation's own action
    resource: str
    keys: tuple[str, ...] = ()
    named: str | None = None
    when: tuple[str, ...] = ()  # check only when one of these request parameters is present
    context: tuple[tuple[str, str], ...] = ()  # fixed context entries, keys lower-case


@dataclass(frozen=True, slots=True)
class Row:
    service: str
    checks: tuple[Check, ...]  # the operation's own check first
    implicit: str | None = None


def op(resource: str, keys: tuple[str, ...] = (), named: str | None = None,
       also: tuple[Check, ...] = (), implicit: str | None = None) -> tuple:
    return (Check("", resource, keys, named), also, implicit)


def passrole(resource: str, service: str) -> Check:
    """iam:PassRole denials name the role's ARN (recorded)."""
    return Check("iam:PassRole", resource, named=resource, context=(("iam:passedtoservice", service),))


def renamed(resource: str, *params: str) -> Check:
    """Renaming or moving an entity needs the permission on the new name as well."""
    return Check("", resource, when=params)


IAM = {
    "AcceptDelegationRequest": op("delegation-request/{DelegationRequestId}"),
    "AddClientIDToOpenIDConnectProvider": op("{OpenIDConnectProviderArn}"),
    "AddRoleToInstanceProfile": op("instance-profile{path}{InstanceProfileName}",
                                   also=(passrole("role{path}{RoleName}", "ec2.amazonaws.com"),)),
    "AddUserToGroup": op("group{path}{GroupName}"),
    "AssociateDelegationRequest": op("delegation-request/{DelegationRequestId}"),
    "AttachGroupPolicy": op("group{path}{GroupName}", keys=('iam:PolicyARN',)),
    "AttachRolePolicy": op("role{path}{RoleName}", keys=('iam:PolicyARN', 'iam:PermissionsBoundary',)),
    "AttachUserPolicy": op("user{path}{UserName}", keys=('iam:PolicyARN', 'iam:PermissionsBoundary',)),
    "ChangePassword": op("user{path}{@caller}", implicit=PASSWORD_CHANGE),
    "CreateAccessKey": op("user{path}{UserName|caller}"),
    "CreateAccountAlias": op("*"),
    "CreateDelegationRequest": op("delegation-request/*", keys=('iam:DelegationDuration', 'iam:NotificationChannel', 'iam:TemplateArn',)),
    "CreateGroup": op("group{Path|/}{GroupName}"),
    "CreateInstanceProfile": op("instance-profile{Path|/}{InstanceProfileName}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "CreateLoginProfile": op("user{path}{UserName|caller}"),
    "CreateOpenIDConnectProvider": op("oidc-provider/{@oidc_issuer}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "CreatePolicy": op("policy{Path|/}{PolicyName}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "CreatePolicyVersion": op("{PolicyArn}"),
    "CreateRole": op("role{Path|/}{RoleName}", keys=('iam:PermissionsBoundary', 'aws:TagKeys', 'aws:RequestTag',)),
    "CreateSAMLProvider": op("saml-provider/{Name}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "CreateServiceLinkedRole": op("role/aws-service-role/{AWSServiceName}/{@slr_name}", keys=('iam:AWSServiceName',)),
    "CreateServiceSpecificCredential": op("user{path}{UserName}", keys=('iam:ServiceSpecificCredentialAgeDays', 'iam:ServiceSpecificCredentialServiceName',)),
    "CreateUser": op("user{Path|/}{UserName}", keys=('iam:PermissionsBoundary', 'aws:TagKeys', 'aws:RequestTag',)),
    "CreateVirtualMFADevice": op("mfa{Path|/}{VirtualMFADeviceName}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "DeactivateMFADevice": op("user{path}{UserName|caller}"),
    "DeleteAccessKey": op("user{path}{UserName|caller}"),
    "DeleteAccountAlias": op("*"),
    "DeleteAccountPasswordPolicy": op("*"),
    "DeleteGroup": op("group{path}{GroupName}"),
    "DeleteGroupPolicy": op("group{path}{GroupName}"),
    "DeleteInstanceProfile": op("instance-profile{path}{InstanceProfileName}"),
    "DeleteLoginProfile": op("user{path}{UserName|caller}"),
    "DeleteOpenIDConnectProvider": op("{OpenIDConnectProviderArn}"),
    "DeletePolicy": op("{PolicyArn}"),
    "DeletePolicyVersion": op("{PolicyArn}"),
    "DeleteRole": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "DeleteRolePermissionsBoundary": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "DeleteRolePolicy": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "DeleteSAMLProvider": op("{SAMLProviderArn}"),
    "DeleteSSHPublicKey": op("user{path}{UserName}"),
    "DeleteServerCertificate": op("server-certificate{path}{ServerCertificateName}"),
    "DeleteServiceLinkedRole": op("role{path}{RoleName}"),
    "DeleteServiceSpecificCredential": op("user{path}{UserName|caller}", keys=('iam:ServiceSpecificCredentialServiceName',)),
    "DeleteSigningCertificate": op("user{path}{UserName|caller}"),
    "DeleteUser": op("user{path}{UserName}"),
    "DeleteUserPermissionsBoundary": op("user{path}{UserName}", keys=('iam:PermissionsBoundary',)),
    "DeleteUserPolicy": op("user{path}{UserName}", keys=('iam:PermissionsBoundary',)),
    "DeleteVirtualMFADevice": op("{SerialNumber}"),
    "DetachGroupPolicy": op("group{path}{GroupName}", keys=('iam:PolicyARN',)),
    "DetachRolePolicy": op("role{path}{RoleName}", keys=('iam:PolicyARN', 'iam:PermissionsBoundary',)),
    "DetachUserPolicy": op("user{path}{UserName}", keys=('iam:PolicyARN', 'iam:PermissionsBoundary',)),
    "DisableOrganizationsRootCredentialsManagement": op("*"),
    "DisableOrganizationsRootSessions": op("*"),
    "DisableOutboundWebIdentityFederation": op("*"),
    "EnableMFADevice": op("user{path}{UserName}", keys=('iam:RegisterSecurityKey', 'iam:FIDO-FIPS-140-2-certification', 'iam:FIDO-FIPS-140-3-certification', 'iam:FIDO-certification',)),
    "EnableOrganizationsRootCredentialsManagement": op("*"),
    "EnableOrganizationsRootSessions": op("*"),
    "EnableOutboundWebIdentityFederation": op("*"),
    "GenerateCredentialReport": op("*"),
    "GenerateOrganizationsAccessReport": op("access-report/{EntityPath}", keys=('iam:OrganizationsPolicyId',)),
    "GenerateServiceLastAccessedDetails": op("{Arn}"),
    "GetAccessKeyLastUsed": op("user{path}{@key_owner}"),
    "GetAccountAuthorizationDetails": op("*"),
    "GetAccountPasswordPolicy": op("*", implicit=PASSWORD_CHANGE),
    "GetAccountSummary": op("*"),
    "GetContextKeysForCustomPolicy": op("*"),
    "GetContextKeysForPrincipalPolicy": op("{PolicySourceArn}"),
    "GetCredentialReport": op("*"),
    "GetDelegationRequest": op("delegation-request/{DelegationRequestId}", implicit=DELEGATION_OWNER),
    "GetGroup": op("group{path}{GroupName}"),
    "GetGroupPolicy": op("group{path}{GroupName}"),
    "GetHumanReadableSummary": op("{EntityArn}", implicit=DELEGATION_OWNER),
    "GetInstanceProfile": op("instance-profile{path}{InstanceProfileName}"),
    "GetLoginProfile": op("user{path}{UserName|caller}"),
    "GetMFADevice": op("user{path}{UserName|caller}"),
    "GetOpenIDConnectProvider": op("{OpenIDConnectProviderArn}"),
    "GetOrganizationsAccessReport": op("*"),
    "GetOutboundWebIdentityFederationInfo": op("*"),
    "GetPolicy": op("{PolicyArn}"),
    "GetPolicyVersion": op("{PolicyArn}"),
    "GetRole": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "GetRolePolicy": op("role{path}{RoleName}"),
    "GetSAMLProvider": op("{SAMLProviderArn}"),
    "GetSSHPublicKey": op("user{path}{UserName}"),
    "GetServerCertificate": op("server-certificate{path}{ServerCertificateName}"),
    "GetServiceLastAccessedDetails": op("*"),
    "GetServiceLastAccessedDetailsWithEntities": op("*"),
    "GetServiceLinkedRoleDeletionStatus": op("role{path}{@deletion_role}"),
    "GetUser": op("user{path}{UserName|caller}"),
    "GetUserPolicy": op("user{path}{UserName}"),
    "ListAccessKeys": op("user{path}{UserName|caller}"),
    "ListAccountAliases": op("*"),
    "ListAttachedGroupPolicies": op("group{path}{GroupName}"),
    "ListAttachedRolePolicies": op("role{path}{RoleName}"),
    "ListAttachedUserPolicies": op("user{path}{UserName}"),
    "ListDelegationRequests": op("*", keys=('iam:DelegationRequestOwner',)),
    "ListEntitiesForPolicy": op("{PolicyArn}"),
    "ListGroupPolicies": op("group{path}{GroupName}"),
    "ListGroups": op("*", named="group{PathPrefix|/}"),
    "ListGroupsForUser": op("user{path}{UserName}"),
    "ListInstanceProfileTags": op("instance-profile{path}{InstanceProfileName}"),
    "ListInstanceProfiles": op("*", named="instance-profile{PathPrefix|/}"),
    "ListInstanceProfilesForRole": op("role{path}{RoleName}"),
    "ListMFADeviceTags": op("{SerialNumber}"),
    "ListMFADevices": op("user{path}{UserName|caller}"),
    "ListOpenIDConnectProviderTags": op("{OpenIDConnectProviderArn}"),
    "ListOpenIDConnectProviders": op("*"),
    "ListOrganizationsFeatures": op("*"),
    "ListPolicies": op("*", named="policy path {PathPrefix|/}"),
    "ListPoliciesGrantingServiceAccess": op("{Arn}"),
    "ListPolicyTags": op("{PolicyArn}"),
    "ListPolicyVersions": op("{PolicyArn}"),
    "ListRolePolicies": op("role{path}{RoleName}"),
    "ListRoleTags": op("role{path}{RoleName}"),
    "ListRoles": op("*", named="role{PathPrefix|/}"),
    "ListSAMLProviderTags": op("{SAMLProviderArn}"),
    "ListSAMLProviders": op("*"),
    "ListSSHPublicKeys": op("user{path}{UserName|caller}"),
    "ListServerCertificateTags": op("server-certificate{path}{ServerCertificateName}"),
    "ListServerCertificates": op("*"),
    "ListServiceSpecificCredentials": op("user{path}{UserName|caller}"),
    "ListSigningCertificates": op("user{path}{UserName|caller}"),
    "ListUserPolicies": op("user{path}{UserName}"),
    "ListUserTags": op("user{path}{UserName}"),
    "ListUsers": op("*", named="user{PathPrefix|/}"),
    "ListVirtualMFADevices": op("*"),
    "PutGroupPolicy": op("group{path}{GroupName}"),
    "PutRolePermissionsBoundary": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "PutRolePolicy": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "PutUserPermissionsBoundary": op("user{path}{UserName}", keys=('iam:PermissionsBoundary',)),
    "PutUserPolicy": op("user{path}{UserName}", keys=('iam:PermissionsBoundary',)),
    "RejectDelegationRequest": op("delegation-request/{DelegationRequestId}"),
    "RemoveClientIDFromOpenIDConnectProvider": op("{OpenIDConnectProviderArn}"),
    "RemoveRoleFromInstanceProfile": op("instance-profile{path}{InstanceProfileName}"),
    "RemoveUserFromGroup": op("group{path}{GroupName}"),
    "ResetServiceSpecificCredential": op("user{path}{UserName|caller}", keys=('iam:ServiceSpecificCredentialServiceName',)),
    "ResyncMFADevice": op("user{path}{UserName}"),
    "SendDelegationToken": op("delegation-request/{DelegationRequestId}"),
    "SetDefaultPolicyVersion": op("{PolicyArn}"),
    "SetSecurityTokenServicePreferences": op("*"),
    "SimulateCustomPolicy": op("*"),
    "SimulatePrincipalPolicy": op("{PolicySourceArn}"),
    "TagInstanceProfile": op("instance-profile{path}{InstanceProfileName}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "TagMFADevice": op("{SerialNumber}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "TagOpenIDConnectProvider": op("{OpenIDConnectProviderArn}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "TagPolicy": op("{PolicyArn}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "TagRole": op("role{path}{RoleName}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "TagSAMLProvider": op("{SAMLProviderArn}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "TagServerCertificate": op("server-certificate{path}{ServerCertificateName}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "TagUser": op("user{path}{UserName}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "UntagInstanceProfile": op("instance-profile{path}{InstanceProfileName}", keys=('aws:TagKeys',)),
    "UntagMFADevice": op("{SerialNumber}", keys=('aws:TagKeys',)),
    "UntagOpenIDConnectProvider": op("{OpenIDConnectProviderArn}", keys=('aws:TagKeys',)),
    "UntagPolicy": op("{PolicyArn}", keys=('aws:TagKeys',)),
    "UntagRole": op("role{path}{RoleName}", keys=('aws:TagKeys',)),
    "UntagSAMLProvider": op("{SAMLProviderArn}", keys=('aws:TagKeys',)),
    "UntagServerCertificate": op("server-certificate{path}{ServerCertificateName}", keys=('aws:TagKeys',)),
    "UntagUser": op("user{path}{UserName}", keys=('aws:TagKeys',)),
    "UpdateAccessKey": op("user{path}{UserName|caller}"),
    "UpdateAccountPasswordPolicy": op("*"),
    "UpdateAssumeRolePolicy": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "UpdateDelegationRequest": op("delegation-request/{DelegationRequestId}", implicit=DELEGATION_OWNER),
    "UpdateGroup": op("group{path}{GroupName}", also=(renamed("group{NewPath|path}{NewGroupName|GroupName}", "NewPath", "NewGroupName"),)),
    "UpdateLoginProfile": op("user{path}{UserName}"),
    "UpdateOpenIDConnectProviderThumbprint": op("{OpenIDConnectProviderArn}"),
    "UpdateRole": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "UpdateRoleDescription": op("role{path}{RoleName}", keys=('iam:PermissionsBoundary',)),
    "UpdateSAMLProvider": op("{SAMLProviderArn}"),
    "UpdateSSHPublicKey": op("user{path}{UserName}"),
    "UpdateServerCertificate": op("server-certificate{path}{ServerCertificateName}",
                                  also=(renamed("server-certificate{NewPath|path}{NewServerCertificateName|ServerCertificateName}",
                                                "NewPath", "NewServerCertificateName"),)),
    "UpdateServiceSpecificCredential": op("user{path}{UserName|caller}", keys=('iam:ServiceSpecificCredentialServiceName',)),
    "UpdateSigningCertificate": op("user{path}{UserName|caller}"),
    "UpdateUser": op("user{path}{UserName}", also=(renamed("user{NewPath|path}{NewUserName|UserName}", "NewPath", "NewUserName"),)),
    "UploadSSHPublicKey": op("user{path}{UserName}"),
    "UploadServerCertificate": op("server-certificate{Path|/}{ServerCertificateName}", keys=('aws:TagKeys', 'aws:RequestTag',)),
    "UploadSigningCertificate": op("user{path}{UserName|caller}"),
}

# Assuming a role also needs sts:TagSession when session tags are passed and
# sts:SetSourceIdentity when a source identity is (both in the trust policy).
_SESSION_KEYS = ("aws:TagKeys", "aws:RequestTag", "sts:TransitiveTagKeys", "sts:RoleSessionName",
                 "sts:SourceIdentity")
_ASSUME_ALSO = (Check("sts:TagSession", "{RoleArn}", _SESSION_KEYS, when=("Tags",)),
                Check("sts:SetSourceIdentity", "{RoleArn}", _SESSION_KEYS, when=("SourceIdentity",)))

STS = {
    "AssumeRole": op("{RoleArn}", keys=(*_SESSION_KEYS, "sts:ExternalId"), also=_ASSUME_ALSO, implicit=TRUST),
    # unsigned; their handlers decide with service/trust.py (tags come with the token or assertion)
    "AssumeRoleWithSAML": op("{RoleArn}", keys=_SESSION_KEYS, implicit=TRUST),
    "AssumeRoleWithWebIdentity": op("{RoleArn}", keys=_SESSION_KEYS, implicit=TRUST),
    "AssumeRoot": op("arn:aws:iam::{TargetPrincipal}:root", keys=("sts:TaskPolicyArn",)),
    "DecodeAuthorizationMessage": op("*"),
    "GetAccessKeyInfo": op("*"),
    "GetCallerIdentity": op("*", implicit=ALWAYS),
    "GetDelegatedAccessToken": op("*"),
    "GetFederationToken": op("arn:aws:sts::{account}:federated-user/{Name}", keys=("aws:TagKeys", "aws:RequestTag")),
    # "No permissions are required for a user to get a session token" (IAM user guide).
    "GetSessionToken": op("*", implicit=ALWAYS),
    "GetWebIdentityToken": op("*", keys=("aws:TagKeys", "aws:RequestTag", "sts:IdentityTokenAudience",
                                         "sts:DurationSeconds", "sts:SigningAlgorithm")),
}

_CALLER_ONLY = frozenset({"AssumeRole", "GetCallerIdentity"})
SESSION_LIMITS = {  # session kind -> (IAM calls, the STS operations it may call)
    "assumed-role": ("always", frozenset(STS) - {"GetSessionToken", "GetFederationToken"}),
    "user": ("mfa", _CALLER_ONLY),      # GetSessionToken credentials
    "root": ("mfa", _CALLER_ONLY),
    "federated-user": ("never", frozenset({"GetCallerIdentity"})),
}

POLICY_CHANGES = frozenset({
    "AttachUserPolicy", "DetachUserPolicy", "PutUserPolicy", "DeleteUserPolicy",
    "AttachGroupPolicy", "DetachGroupPolicy", "PutGroupPolicy", "DeleteGroupPolicy",
    "AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy", "DeleteRolePolicy",
    "CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion", "DeletePolicy",
    "AddUserToGroup", "RemoveUserFromGroup",
    "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
    "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
    "DeleteUser", "DeleteGroup", "DeleteRole", "DeleteServiceLinkedRole", "UpdateUser",
    "TagUser", "UntagUser", "TagRole", "UntagRole",  # aws:PrincipalTag/*
})


# Operations that change a managed policy. AWS managed ones (`arn:aws:iam::aws:policy/…`)
# lie outside every account: these are refused on them whoever calls, root included
# (reference §3.4), as a call on another account's resource is.
CHANGES_MANAGED_POLICY = frozenset({"CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion",
                                    "DeletePolicy", "TagPolicy", "UntagPolicy"})
AWS_MANAGED_POLICY = "arn:aws:iam::aws:policy/"


# Entities AWS names by type and name in a denial: "user{path}{UserName}" -> "user {UserName}".
NAMED_BY_NAME = re.compile(r"^(user|group|role)\{[^}]*\}(\{[^}]+\})$")


def _named(check: Check) -> str | None:
    if check.named is not None:
        return check.named
    m = NAMED_BY_NAME.match(check.resource)
    return f"{m.group(1)} {m.group(2)}" if m else None


def _rows() -> dict[str, Row]:
    out = {}
    for service, table in (("iam", IAM), ("sts", STS)):
        for name, (own, also, implicit) in table.items():
            action = f"{service}:{name}"
            checks = [Check(action, own.resource, own.keys, _named(own))]
            checks += [Check(c.action or action, c.resource, c.keys, _named(c), c.when, c.context) for c in also]
            out[name] = Row(service, tuple(checks), implicit)
    return out


OPERATIONS: dict[str, Row] = _rows()
