"""Model constraints as AWS (Java) reads them: ASCII `\\w`/`\\d`, Unicode `\\p{L}`."""

import re

import botocore.session
import pytest

from iamd.protocol.errors import AWSError
from iamd.protocol.javaregex import category_ranges, translate
from iamd.protocol.model import catalog
from iamd.protocol.validate import _pattern, validate_input


def _patterns():
    session = botocore.session.get_session()
    found = set()
    for service in ("iam", "sts"):
        model = session.get_service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                found.add(pattern)
    return sorted(found)


@pytest.mark.parametrize("pattern", _patterns())
def test_every_model_pattern_translates_and_compiles(pattern):
    assert _pattern(pattern) is not None


def errors_for(action: str, **params):
    op = catalog().by_name[action]
    try:
        validate_input(op.input_shape, params)
    except AWSError as err:
        assert err.code == "ValidationError"
        return err.message
    return None


@pytest.mark.parametrize("name", ["ü", "naïve", "x٣", "日本"])
def test_java_w_is_ascii(name):
    assert errors_for("GetUser", UserName=name) == (
        f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+")


def test_ascii_names_pass():
    assert errors_for("GetUser", UserName="Alice_b+=,.@-9") is None


@pytest.mark.parametrize("key", ["Größe", "日本語", "with space", "ünïcödé:/=+-@._", "٣", "x\u3000y"])
def test_tag_keys_take_unicode_letters_numbers_and_separators(key):
    assert errors_for("TagUser", UserName="u", Tags=[{"Key": key, "Value": key}]) is None


@pytest.mark.parametrize("key", ["tab\there", "new\nline", "semi;colon", "emoji\U0001F600", "x\x85"])
def test_tag_keys_refuse_what_p_z_and_p_l_do_not_cover(key):
    assert "tags.1.member.key" in errors_for("TagUser", UserName="u", Tags=[{"Key": key, "Value": "v"}])


def test_java_d_is_ascii():
    assert errors_for("EnableMFADevice", UserName="u", SerialNumber="arn:aws:iam::1:mfa/x",
                      AuthenticationCode1="١٢٣٤٥٦", AuthenticationCode2="123456") is not None
    assert errors_for("EnableMFADevice", UserName="u", SerialNumber="arn:aws:iam::1:mfa/x",
                      AuthenticationCode1="654321", AuthenticationCode2="123456") is None


def test_several_errors_are_counted_and_joined():
    message = errors_for("CreateUser", UserName="ü" * 65, PermissionsBoundary="short")
    assert message.startswith("3 validation errors detected: ")
    assert message.count("; ") == 2


PATH_INVALID = ("The specified value for path is invalid. It must begin and end with / and contain "
                "only alphanumeric characters and/or / characters.")


def test_an_invalid_path_has_the_services_message_once_the_model_holds():
    for path in ("nope", "/a b/", "a/"):
        assert errors_for("CreateUser", UserName="u", Path=path) == PATH_INVALID
        assert errors_for("UpdateUser", UserName="u", NewPath=path) == PATH_INVALID
    # Coral's constraints come first: the name, then the path's length.
    assert errors_for("CreateUser", UserName="ü", Path="nope").startswith("1 validation error detected: ")
    assert errors_for("CreateUser", UserName="u", Path="/" + "a" * 512 + "/") == (
        "1 validation error detected: Value '/" + "a" * 512 + "/' at 'path' failed to satisfy "
        "constraint: Member must have length less than or equal to 512")


def test_a_whole_list_is_not_echoed():
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert errors_for("TagUser", UserName="u", Tags=tags) == (
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50")


def _sensitive_members():
    """(operation, member, shape) for every input member the models mark sensitive."""
    found = []
    for op in catalog().by_name.values():
        shape = op.input_shape
        for member, sub in (shape.members.items() if shape is not None else ()):
            if sub.metadata.get("sensitive"):
                found.append((op.name, member, sub))
    return found


def test_the_models_have_sensitive_members():
    assert {(o, m) for o, m, _ in _sensitive_members()} >= {
        ("CreateLoginProfile", "Password"), ("UpdateLoginProfile", "Password"),
        ("ChangePassword", "OldPassword"), ("ChangePassword", "NewPassword"),
        ("UploadServerCertificate", "PrivateKey")}


@pytest.mark.parametrize("op,member,shape", _sensitive_members(),
                         ids=[f"{o}.{m}" for o, m, _ in _sensitive_members()])
def test_sensitive_values_are_never_echoed(op, member, shape):
    secret = "SeCrEt-" + "x" * shape.metadata.get("max", 64)  # too long, where there is a limit
    # NUL is refused even without a pattern; U+0001 by the patterns; the length by limits.
    values = [secret + "\x00"] + [secret + "\x01"] * ("pattern" in shape.metadata) \
        + [secret] * ("max" in shape.metadata)
    for value in values:
        message = errors_for(op, **{member: value})
        assert f"Value at '{member[0].lower() + member[1:]}' failed to satisfy constraint" in message
        assert "SeCrEt" not in message


def test_missing_required_member():
    assert errors_for("GetUserPolicy", UserName="u") == (
        "1 validation error detected: Value null at 'policyName' failed to satisfy constraint: "
        "Member must not be null")


def test_none_items_do_not_crash_the_validator():
    assert errors_for("UntagUser", UserName="u", TagKeys=[None, "k"]) is None


def test_translate_keeps_plain_syntax_and_rewrites_classes():
    assert translate(r"[\w+=,.@-]+") == "[a-zA-Z0-9_+=,.@-]+"
    assert translate(r"\d{12}") == "[0-9]{12}"
    assert translate(r"\s") == "[ \\t\\n\\x0b\\f\\r]"
    assert translate(r"\W") == "[^a-zA-Z0-9_]"
    assert translate(r"^o-[a-z0-9]{10,32}$") == "^o-[a-z0-9]{10,32}$"
    assert re.fullmatch(translate(r"\p{Lu}+"), "ÄB") and not re.fullmatch(translate(r"\p{Lu}+"), "äb")
    assert re.fullmatch(translate(r"\P{L}+"), "12 ") and not re.fullmatch(translate(r"\P{L}+"), "a")
    assert re.fullmatch(translate(r"[\pL]+"), "ab")


def test_category_ranges_match_unicodedata():
    import unicodedata
    rx = re.compile(f"[{category_ranges('N')}]")
    for ch in "0٣Ⅻ½²":
        assert rx.fullmatch(ch) and unicodedata.category(ch)[0] == "N"
    assert rx.fullmatch("a") is None
    with pytest.raises(ValueError):
        category_ranges("Nope")


def test_nul_is_refused_even_without_a_pattern():
    message = errors_for("CreatePolicy", PolicyName="p", PolicyDocument="{}", Description="a\x00b")
    assert message == ("1 validation error detected: Value 'a\x00b' at 'description' failed to satisfy "
                       "constraint: Member must not contain the NUL character")
    # With a pattern, the pattern speaks (once).
    assert errors_for("GetUser", UserName="a\x00").count("failed to satisfy") == 1
