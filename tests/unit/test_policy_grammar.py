"""Unit tests for iamd.policy.grammar: what IAM accepts and the message for what it rejects."""

import json

import pytest

from iamd.policy.grammar import check_document, policy_size
from iamd.protocol.errors import AWSError


def doc(*statements, version="2012-10-17", **top):
    d = {"Version": version, **top, "Statement": list(statements)}
    if version is None:
        del d["Version"]
    return json.dumps(d)


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
TRUST = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole"}


def rejects(text, kind="identity"):
    with pytest.raises(AWSError) as e:
        check_document(text, kind)
    assert e.value.code == "MalformedPolicyDocument"
    return e.value.message


def test_accepts_simple_identity_policy_and_returns_it():
    text = doc(ALLOW_ALL)
    assert check_document(text, "managed") == json.loads(text)


def test_statement_may_be_a_single_object():
    text = json.dumps({"Version": "2012-10-17", "Statement": ALLOW_ALL})
    assert check_document(text, "identity")["Statement"] == ALLOW_ALL


def test_full_grammar_accepted():
    st = {"Sid": "S1", "Effect": "Deny", "NotAction": ["iam:Get*", "s3:?ist*"],
          "NotResource": ["arn:aws:iam::123456789012:user/a/*", "arn:aws:s3:::bucket/*"],
          "Condition": {"StringEquals": {"aws:username": ["a", "b"]},
                        "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "k*"},
                        "Bool": {"aws:MultiFactorAuthPresent": True},
                        "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                        "Null": {"aws:TokenIssueTime": "true"}}}
    check_document(doc(st, Id="x"), "managed")


@pytest.mark.parametrize("text", [
    "not json", "[]", '"s"', "{}", '{"Statement": []}',
    json.dumps({"Statement": [ALLOW_ALL], "Other": 1}),
    json.dumps({"Statement": ["x"]}),
    json.dumps({"Version": 2012, "Statement": [ALLOW_ALL]}),
    doc({**ALLOW_ALL, "Foo": "x"}),
    doc({"Action": "*", "Resource": "*"}),
    doc({**ALLOW_ALL, "Effect": "Maybe"}),
    doc({**ALLOW_ALL, "NotAction": "*"}),
    doc({**ALLOW_ALL, "NotResource": "*"}),
    doc({**ALLOW_ALL, "Action": ["s3:Get", 1]}),
    doc({**ALLOW_ALL, "Condition": "x"}),
    doc({**ALLOW_ALL, "Condition": {"StringEquals": "x"}}),
    doc({**ALLOW_ALL, "Condition": {"StringEquals": {"aws:x": {"a": 1}}}}),
    doc({**ALLOW_ALL, "Condition": {"NoSuchOperator": {"aws:x": "a"}}}),
    doc({**ALLOW_ALL, "Condition": {"NullIfExists": {"aws:x": "true"}}}),
    '{"Statement": {"Effect": "Allow", "Effect": "Allow", "Action": "*", "Resource": "*"}}',
    '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": NaN}]}',
])
def test_syntax_errors(text):
    assert rejects(text) == "Syntax errors in policy."


def test_version_rules():
    assert rejects(doc(ALLOW_ALL, version=None), "managed") == \
        "Policy document must be version 2012-10-17 or greater."
    assert rejects(doc(ALLOW_ALL, version="2008-10-17"), "managed") == \
        "Policy document must be version 2012-10-17 or greater."
    # Inline policies accept the old version and no version at all.
    check_document(doc(ALLOW_ALL, version=None), "identity")
    check_document(doc(ALLOW_ALL, version="2008-10-17"), "identity")
    # A Version that is neither is a syntax error, for every kind.
    assert rejects(doc(ALLOW_ALL, version="2020-01-01")) == "Syntax errors in policy."
    assert rejects(doc(ALLOW_ALL, version="2013-10-17"), "managed") == "Syntax errors in policy."


def test_effect_case_is_legacy_failure():
    assert rejects(doc({**ALLOW_ALL, "Effect": "allow"})) == "The policy failed legacy parsing"


def test_bad_date_condition_is_legacy_failure():
    st = {**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": "yesterday"}}}
    assert rejects(doc(st)) == "The policy failed legacy parsing"
    ok = {**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": ["2020-01-01", 1700000000]}}}
    check_document(doc(ok), "identity")


def test_sid_rules():
    a, b = {**ALLOW_ALL, "Sid": "One"}, {**ALLOW_ALL, "Sid": "One"}
    assert rejects(doc(a, b)) == "Statement IDs (SID) in a single policy must be unique."
    assert rejects(doc({**ALLOW_ALL, "Sid": "has space"})).startswith(
        "Statement IDs (SID) must be alpha-numeric.")
    check_document(doc({**ALLOW_ALL, "Sid": ""}, {**ALLOW_ALL, "Sid": ""}), "identity")


def test_actions_and_resources_required():
    assert rejects(doc({"Effect": "Allow", "Resource": "*"})) == "Policy statement must contain actions."
    assert rejects(doc({"Effect": "Allow", "Action": [], "Resource": "*"})) == \
        "Policy statement must contain actions."
    assert rejects(doc({"Effect": "Allow", "Action": "*"})) == "Policy statement must contain resources."


@pytest.mark.parametrize("action,message", [
    ("iam", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ("iam:a:b", "Actions/Condition can contain only one colon."),
    ("i am:Get", "Vendor i am is not valid"),
    (":Get", "Vendor  is not valid"),
])
def test_action_format(action, message):
    assert rejects(doc({**ALLOW_ALL, "Action": action})) == message


def test_action_wildcards_and_case_accepted():
    check_document(doc({**ALLOW_ALL, "Action": ["IAM:listaccesskeys", "ec2:*", "s3:Get?bject*"]}),
                   "identity")


@pytest.mark.parametrize("resource,message", [
    ("bucket", 'Resource bucket must be in ARN format or "*".'),
    ("", 'Resource  must be in ARN format or "*".'),
    ("a:b", 'Partition "b" is not valid for resource "arn:b:*:*:*:*".'),
    ("a:b:", 'Partition "b" is not valid for resource "arn:b:*:*:*:*".'),
    ("a:b::", 'Partition "b" is not valid for resource "arn:b:::*:*".'),
    ("a:b:c", 'Partition "b" is not valid for resource "arn:b:c:*:*:*".'),
    ("aws:s3:::x", 'Partition "s3" is not valid for resource "arn:s3:::x:*".'),
    ("a:b:c:d:e:f:g", 'Partition "b" is not valid for resource "arn:b:c:d:e:f:g".'),
    ("arn:aws", "Resource vendor must be fully qualified and cannot contain regexes."),
    ("arn:foo:s3:::b", 'Partition "foo" is not valid for resource "arn:foo:s3:::b".'),
    ("arn:aws:*:::b", "Resource vendor must be fully qualified and cannot contain regexes."),
    ("arn:aws:iam:us-east-1:123456789012:user/x",
     "IAM resource arn:aws:iam:us-east-1:123456789012:user/x cannot contain region information."),
    ("arn:aws:iam::123456789012:thing/x",
     'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, '
     'instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, '
     'oidc-provider/, report/, access-report/.'),
])
def test_resource_format(resource, message):
    assert rejects(doc({**ALLOW_ALL, "Resource": resource})) == message


def test_condition_key_needs_no_vendor():
    check_document(doc({**ALLOW_ALL, "Condition": {"StringEquals": {"a": "b"}}}), "managed")


@pytest.mark.parametrize("resource", ["arn:aws:x", "arn:aws:s3", "arn:aws:x:y",
                                      "arn:aws:iam:::user/x", "arn:aws:ec2:us-east-1::x"])
def test_short_arns_accepted(resource):
    check_document(doc({**ALLOW_ALL, "Resource": resource}), "managed")


@pytest.mark.parametrize("resource", ["arn:aws:s3::x", "arn:aws::x", "arn:aws::::x",
                                      "arn:aws::::::x"])
def test_empty_fields_fail_legacy_parsing_before_missing_actions(resource):
    assert rejects(doc({"Effect": "Allow", "Resource": resource})) == "The policy failed legacy parsing"
    assert rejects(doc({"Effect": "Allow", "NotResource": [resource, "*"]})) == \
        "The policy failed legacy parsing"


def test_a_format_fault_hides_the_legacy_failure():
    # The old parser judged no resource once one was malformed; the format fault is
    # reported after the missing actions, the first in sorted order.
    st = {"Effect": "Allow", "Action": "s3:Get", "Resource": ["arn:aws::x", "zz", "b"]}
    assert rejects(doc(st)) == 'Resource b must be in ARN format or "*".'
    assert rejects(doc({**st, "Action": []})) == "Policy statement must contain actions."


@pytest.mark.parametrize("value", ["01T", "2019", "-292275054", "2019-07-01T13:20:15.593194+23",
                                   "2016-12-13t2:00:00.593194+23", "2019-07-01T13:20Z",
                                   "2019-07-01T13:20:15-05:00", "9223372036854775807", 0])
def test_lenient_dates_accepted(value):
    check_document(doc({**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": value}}}),
                   "managed")


@pytest.mark.parametrize("value", ["9223372036854775808", "234-13", "2016-12-13t2:00:00.593194+1",
                                   "2016-12-13t2:00:00.1999999999+10:59", "1.5", "", "2019-01-01T24",
                                   "2019-01-01-01", "\u0661"])
def test_bad_dates_fail_legacy_parsing(value):
    st = {**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": value}}}
    assert rejects(doc(st)) == "The policy failed legacy parsing"


def test_empty_action_needs_a_vendor():
    assert rejects(doc({**ALLOW_ALL, "Action": ""})) == \
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    # Actions are judged before resources are required.
    assert rejects(doc({"Effect": "Allow", "Action": "invalid"})) == \
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."


def test_identity_policy_rejects_principal():
    st = {**ALLOW_ALL, "Principal": "*"}
    assert rejects(doc(st)) == "Policy document should not specify a principal."


def test_trust_policy_rules():
    check_document(doc(TRUST), "trust")
    check_document(doc({**TRUST, "Principal": {"AWS": ["arn:aws:iam::123456789012:root",
                                                       "123456789012", "*"]},
                        "Action": ["sts:AssumeRole", "sts:TagSession"]}), "trust")
    check_document(doc({**TRUST, "Action": "sts:*"}), "trust")
    assert rejects(doc({**TRUST, "Resource": "*"}), "trust") == "Has prohibited field Resource."
    no_principal = {k: v for k, v in TRUST.items() if k != "Principal"}
    assert rejects(doc(no_principal), "trust") == "Missing required field Principal"
    assert rejects(doc({**TRUST, "Action": "s3:GetObject"}), "trust").startswith(
        "Trust Policy statement actions can only be sts:AssumeRole")
    assert rejects(doc({**TRUST, "Principal": {"AWS": "arn:aws:iam::123456789012:user/*"}}),
                   "trust") == 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*"'
    assert rejects(doc({**TRUST, "Principal": {"Nobody": "x"}}), "trust") == "Syntax errors in policy."


def test_disallowed_characters():
    assert rejects(doc({**ALLOW_ALL, "Sid": "\u2603"}).replace("\\u2603", "\u2603")) == \
        "Syntax errors in policy."


def test_policy_size_ignores_whitespace():
    compact = '{"Statement":[]}'
    assert policy_size(compact) == len(compact)
    assert policy_size('{\n  "Statement" : [ ]\t}\r\n') == len(compact)
    assert policy_size('{"a b"}') == 6


def test_regional_rules_follow_the_resource_type():
    # S3 buckets have no region; S3 access points do (with an account).
    assert rejects(doc({**ALLOW_ALL, "Resource": "arn:aws:s3:us-east-1::bucket"})) == \
        "Resource arn:aws:s3:us-east-1::bucket can not contain region information."
    check_document(doc({**ALLOW_ALL, "Resource": "arn:aws:s3:*:*:accesspoint/ap*"}), "managed")
    check_document(doc({"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:iam::*:root"}), "managed")


def test_every_aws_managed_policy_passes(shared_dir):
    """AWS's own documents are valid by definition: a false rejection here is a grammar bug."""
    from iamd.store.policy_catalog import document_text, read_directory
    catalogue = shared_dir / "data" / "aws-managed-policies"
    if not catalogue.is_dir():
        pytest.skip("catalogue not available")
    entries, _ = read_directory(catalogue)
    assert len(entries) > 1000
    for e in entries:
        check_document(document_text(e["Document"]), "managed")
