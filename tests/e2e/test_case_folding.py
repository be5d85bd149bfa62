"""Case-insensitive tag keys keep their length limit (issue 10, item 16).

User and role tag keys are compared case-insensitively through a folded copy stored
beside the key. `İ` (U+0130) lower-cases to two characters under Unicode's full mapping,
so a 128-character key of them overflowed the folded column on PostgreSQL (a 500) in
TagUser, TagRole, CreateUser and CreateRole. A key the model accepts is stored, listed and
removed on both engines.
"""

import pytest
from helpers import TRUST

DOTTED = "\u0130"  # İ
KEYS = [DOTTED * 128, "K" + DOTTED * 127, ("\u03a3\u00df\u017f" * 43)[:128], "é" * 128]
VALUE = ("\u0130\u03a3\u00df" * 86)[:256]


@pytest.mark.parametrize("key", KEYS, ids=["dotted-I", "mixed", "sigma-sharp-s-long-s", "e-acute"])
def test_user_tags_at_full_length(iam, name, key):
    created = name("cf")
    iam.create_user(UserName=created, Tags=[{"Key": key, "Value": VALUE}])
    assert iam.list_user_tags(UserName=created)["Tags"] == [{"Key": key, "Value": VALUE}]
    tagged = name("cf")
    iam.create_user(UserName=tagged)
    iam.tag_user(UserName=tagged, Tags=[{"Key": key, "Value": "1"}])
    iam.tag_user(UserName=tagged, Tags=[{"Key": key, "Value": VALUE}])  # the same key: replaced
    assert iam.get_user(UserName=tagged)["User"]["Tags"] == [{"Key": key, "Value": VALUE}]
    iam.untag_user(UserName=tagged, TagKeys=[key])
    assert iam.list_user_tags(UserName=tagged)["Tags"] == []


@pytest.mark.parametrize("key", KEYS, ids=["dotted-I", "mixed", "sigma-sharp-s-long-s", "e-acute"])
def test_role_tags_at_full_length(iam, name, key):
    created = name("cf")
    iam.create_role(RoleName=created, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": key, "Value": VALUE}])
    assert iam.get_role(RoleName=created)["Role"]["Tags"] == [{"Key": key, "Value": VALUE}]
    iam.tag_role(RoleName=created, Tags=[{"Key": key, "Value": "2"}])
    assert iam.list_role_tags(RoleName=created)["Tags"] == [{"Key": key, "Value": "2"}]
    iam.untag_role(RoleName=created, TagKeys=[key])
    assert iam.list_role_tags(RoleName=created)["Tags"] == []


def test_keys_differing_in_ascii_case_are_still_one_key(iam, name):
    user = name("cf")
    iam.create_user(UserName=user, Tags=[{"Key": "Department" + DOTTED * 100, "Value": "finance"}])
    iam.tag_user(UserName=user, Tags=[{"Key": "DEPARTMENT" + DOTTED * 100, "Value": "hr"}])
    assert iam.list_user_tags(UserName=user)["Tags"] == [{"Key": "DEPARTMENT" + DOTTED * 100, "Value": "hr"}]
