"""The STS sessions contract (docs/sts-sessions.md): sealed tokens, minted grants, trust decisions."""

import json
import os
from types import SimpleNamespace

import pytest

from iamd.auth.session_tokens import seal, unseal
from iamd.policy.evaluate import Caller, PolicySet, PolicySource
from iamd.policy.compiled import compile_policy
from iamd.protocol.errors import AWSError
from iamd.service import ids
from iamd.service.sessions import SessionGrant, grant_of, issue, packed_policy_size, session_tags, \
    check_source_identity
from iamd.service.trust import authorize_assume
from iamd.store.crypto import SecretBox

ACCOUNT = "123456789012"
OTHER = "210987654321"


@pytest.fixture
def box():
    return SecretBox(os.urandom(32))


def ctx_with(box, now=1_700_000_000.0):
    return SimpleNamespace(now=now, app=SimpleNamespace(box=box), account_id=ACCOUNT)


def test_sealed_claims_open_with_the_same_key(box):
    claims = {"k": "ASIAEXAMPLE", "s": "secret", "tags": [["a", "b"]], "n": 1.5}
    assert unseal(seal(claims, box), box) == claims


def test_a_token_is_url_safe_and_does_not_show_its_claims(box):
    token = seal({"s": "very-secret-value"}, box)
    assert all(c.isalnum() or c in "-_" for c in token)
    assert "secret" not in token


@pytest.mark.parametrize("alter", [
    lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],   # a changed byte
    lambda t: t[:40],                                          # cut short
    lambda t: "x" + t,                                         # shifted
    lambda t: "",                                              # nothing
    lambda t: "!!!not base64!!!",                              # not base64
    lambda t: "A" * 20_000,                                    # absurdly long
])
def test_an_altered_token_is_an_invalid_client_token(box, alter):
    with pytest.raises(AWSError) as err:
        unseal(alter(seal({"k": "v"}, box)), box)
    assert err.value.code == "InvalidClientTokenId"


def test_a_token_of_another_master_key_is_refused(box):
    with pytest.raises(AWSError) as err:
        unseal(seal({"k": "v"}, SecretBox(os.urandom(32))), box)
    assert err.value.code == "InvalidClientTokenId"


def test_the_derived_key_is_not_the_master_key(box):
    # a secret encrypted at rest with the master key never opens as a token
    stored = box.encrypt("x")
    with pytest.raises(AWSError):
        unseal(stored, box)


def test_issue_mints_asia_keys_of_the_account_and_a_token_carrying_the_grant(box):
    grant = SessionGrant(ACCOUNT, "assumed-role", 900, role_id="AROAEXAMPLE", session_name="s",
                         role_arn=f"arn:aws:iam::{ACCOUNT}:role/r", tags=(("k", "v"),), transitive_keys=("k",),
                         policy_arns=("arn:aws:iam::aws:policy/ReadOnlyAccess",), mfa_at=1.0, chained=True)
    creds = issue(ctx_with(box), grant)
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert ids.account_of_key(creds["AccessKeyId"]) == ACCOUNT
    assert len(creds["SecretAccessKey"]) == 40
    assert creds["Expiration"] == 1_700_000_900.0
    claims = unseal(creds["SessionToken"], box)
    assert claims["k"] == creds["AccessKeyId"] and claims["s"] == creds["SecretAccessKey"]
    assert grant_of(claims) == grant


def test_packed_policy_size_grows_with_policies_and_tags():
    small = SessionGrant(ACCOUNT, "assumed-role", 900,
                         policy=json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    tagged = SessionGrant(ACCOUNT, "assumed-role", 900, policy=small.policy,
                          tags=tuple((f"key{i}", os.urandom(16).hex()) for i in range(10)))
    assert packed_policy_size(SessionGrant(ACCOUNT, "assumed-role", 900)) == 0
    assert 0 < packed_policy_size(small) < packed_policy_size(tagged) <= 100


def test_packed_policy_too_large():
    huge = SessionGrant(ACCOUNT, "assumed-role", 900,
                        tags=tuple((os.urandom(64).hex(), os.urandom(128).hex()) for _ in range(50)))
    with pytest.raises(AWSError) as err:
        packed_policy_size(huge)
    assert err.value.code == "PackedPolicyTooLarge"
    assert "% of allotted space" in err.value.message


def test_transitive_tags_are_carried_and_cannot_be_set_again():
    tags, keys = session_tags({"Tags": [{"Key": "b", "Value": "2"}]}, (("a", "1"), ("c", "3")), ("a",))
    assert set(tags) == {("a", "1"), ("b", "2")} and keys == ("a",)
    with pytest.raises(AWSError):
        session_tags({"Tags": [{"Key": "A", "Value": "x"}]}, (("a", "1"),), ("a",))
    with pytest.raises(AWSError):
        session_tags({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]})
    with pytest.raises(AWSError):
        session_tags({"Tags": [{"Key": "a", "Value": "1"}], "TransitiveTagKeys": ["b"]})


def test_source_identity_is_set_once():
    assert check_source_identity("alice", None) == "alice"
    assert check_source_identity(None, "alice") == "alice"
    assert check_source_identity("alice", "alice") == "alice"
    with pytest.raises(AWSError):
        check_source_identity("bob", "alice")


def _role(trust: dict, account=ACCOUNT):
    return SimpleNamespace(account_id=account, path="/", name="r", assume_role_policy=json.dumps(trust))


def _trust(principal, action="sts:AssumeRole", effect="Allow", condition=None):
    st = {"Effect": effect, "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


def _allow_assume():
    return PolicySet((PolicySource("p", "user", compile_policy(json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))),))


USER = Caller(f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, unique_id="AIDAEXAMPLE")
FOREIGN = Caller(f"arn:aws:iam::{OTHER}:user/bob", OTHER, unique_id="AIDAOTHER")


def _decide(role, caller, policies, context=None):
    try:
        authorize_assume(None, role, caller, "sts:AssumeRole", context or {}, policies)
        return "allowed"
    except AWSError as err:
        assert err.code == "AccessDenied"
        return err.message


def test_same_account_trust_naming_the_user_suffices():
    assert _decide(_role(_trust({"AWS": USER.arn})), USER, PolicySet(())) == "allowed"


def test_same_account_trust_naming_the_account_needs_an_identity_allow():
    role = _role(_trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert _decide(role, USER, PolicySet(())).startswith(f"User: {USER.arn} is not authorized")
    assert _decide(role, USER, _allow_assume()) == "allowed"


def test_cross_account_needs_both_sides():
    role = _role(_trust({"AWS": FOREIGN.arn}))
    assert _decide(role, FOREIGN, PolicySet(())) != "allowed"
    assert _decide(role, FOREIGN, _allow_assume()) == "allowed"
    assert _decide(_role(_trust({"AWS": USER.arn})), FOREIGN, _allow_assume()) != "allowed"


def test_trust_conditions_see_the_context():
    role = _role(_trust({"AWS": USER.arn}, condition={"StringEquals": {"sts:ExternalId": "xyz"}}))
    assert _decide(role, USER, PolicySet(()), {"sts:externalid": "xyz"}) == "allowed"
    assert _decide(role, USER, PolicySet(()), {"sts:externalid": "nope"}) == \
        f"User: {USER.arn} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{ACCOUNT}:role/r"


def test_an_explicit_deny_in_the_trust_policy_is_named():
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": USER.arn}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": USER.arn}, "Action": "sts:AssumeRole"}]}
    assert _decide(_role(trust), USER, PolicySet(())).endswith("with an explicit deny in the role trust policy")


def test_federated_callers_are_decided_by_the_trust_policy_alone():
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com"
    caller = Caller("token.example.com:sub", ACCOUNT, federated=provider)
    role = _role(_trust({"Federated": provider}, action="sts:AssumeRoleWithWebIdentity"))
    authorize_assume(None, role, caller, "sts:AssumeRoleWithWebIdentity", {}, None)
    with pytest.raises(AWSError):
        authorize_assume(None, _role(_trust({"Federated": "arn:aws:iam::1:oidc-provider/x"},
                                            action="sts:AssumeRoleWithWebIdentity")),
                         caller, "sts:AssumeRoleWithWebIdentity", {}, None)
