"""Pure helpers of `iamd account`: bars, usage rows, policy merging, documents, metadata."""

import importlib
from datetime import datetime, timedelta, timezone

import pytest

from iamd.analysis.documents import decode_document, decode_documents
from iamd.cli.account.authz import trusted_principals
from iamd.cli.account.output import plain

summary = importlib.import_module("iamd.cli.account.summary")
password_policy = importlib.import_module("iamd.cli.account.password_policy")
saml = importlib.import_module("iamd.cli.account.saml")


@pytest.mark.parametrize("fraction,expected", [
    (0, "░" * 8), (1, "█" * 8), (0.5, "████░░░░"), (1.7, "█" * 8), (-1, "░" * 8), (0.0625, "▌░░░░░░░"),
])
def test_bar(fraction, expected):
    assert summary.bar(fraction, width=8) == expected


def test_usage_rows_and_threshold():
    rows = summary.usage_rows({"Users": 81, "UsersQuota": 100, "Groups": 80, "GroupsQuota": 100,
                               "Roles": 3, "RolesQuota": 0, "Policies": 1})
    # a zero or missing quota cannot be a fraction: left out rather than divided by
    assert [(r["key"], r["fraction"]) for r in rows] == [("Users", 0.81), ("Groups", 0.8)]
    assert [r["key"] for r in summary.over_threshold(rows, 0.8)] == ["Users"]


CURRENT = {"MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
           "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
           "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 60,
           "PasswordReusePrevention": 3, "HardExpiry": False}


def test_merged_request_keeps_current_settings():
    req = password_policy.merged_request(CURRENT, {"RequireSymbols": False, "MinimumPasswordLength": None}, False)
    assert req == {**{k: v for k, v in CURRENT.items() if k != "ExpirePasswords"}, "RequireSymbols": False}


def test_merged_request_zero_means_off_and_reset_means_defaults():
    req = password_policy.merged_request(CURRENT, {"MaxPasswordAge": 0, "PasswordReusePrevention": 0}, False)
    assert "MaxPasswordAge" not in req and "PasswordReusePrevention" not in req
    assert password_policy.merged_request(CURRENT, {"HardExpiry": True}, True) == {"HardExpiry": True}
    assert password_policy.merged_request(None, {}, False) == {}


def test_policy_rows_words():
    rows = dict(password_policy.policy_rows({"MinimumPasswordLength": 8, "RequireSymbols": False,
                                             "ExpirePasswords": False}))
    assert rows["Minimum length"] == "8" and rows["Require symbols"] == "no"
    assert rows["Maximum password age (days)"] == "never" and rows["Remembered passwords (no reuse)"] == "off"


def test_metadata_facts():
    doc = ('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
           'entityID="urn:idp" validUntil="2030-01-01T00:00:00Z"><IDPSSODescriptor>'
           '<KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>AA</ds:X509Certificate>'
           '</ds:X509Data></ds:KeyInfo></KeyDescriptor>'
           '<KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>BB</ds:X509Certificate>'
           '</ds:X509Data></ds:KeyInfo></KeyDescriptor>'
           '<SingleSignOnService Location="https://idp/sso"/></IDPSSODescriptor></EntityDescriptor>')
    assert saml.metadata_facts(doc) == {"readable": True, "entity_id": "urn:idp", "valid_until": "2030-01-01T00:00:00Z",
                                        "sso_urls": ["https://idp/sso"], "signing_certificates": 1}
    assert saml.metadata_facts("not xml") == {"readable": False}
    # defusedxml refuses entity tricks instead of expanding them
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert saml.metadata_facts(bomb) == {"readable": False}


def test_decode_documents_handles_text_and_url_encoding():
    assert decode_document('{"a": 1}') == {"a": 1}
    assert decode_document("%7B%22a%22%3A%201%7D") == {"a": 1}
    assert decode_document("not json") == "not json"
    assert decode_document({"a": 1}) == {"a": 1}
    nested = {"RoleDetailList": [{"AssumeRolePolicyDocument": "%7B%7D", "RoleName": "%7B%7D"}]}
    assert decode_documents(nested) == {"RoleDetailList": [{"AssumeRolePolicyDocument": {}, "RoleName": "%7B%7D"}]}


def test_trusted_principals_all_shapes():
    role = {"AssumeRolePolicyDocument": {"Statement": [
        {"Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}},
        {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}},
        {"Principal": "*"}]}}
    assert trusted_principals(role) == ["ec2.amazonaws.com", "lambda.amazonaws.com",
                                        "arn:aws:iam::123456789012:root", "*"]
    assert trusted_principals({"AssumeRolePolicyDocument": {"Statement": {"Principal": {"Federated": "x"}}}}) == ["x"]
    assert trusted_principals({}) == []


def test_plain_makes_json_safe_values():
    t = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert plain({"A": t, "B": [b"x"], "ResponseMetadata": {}}) == {"A": "2024-01-02T01:04:05Z", "B": ["x"]}
