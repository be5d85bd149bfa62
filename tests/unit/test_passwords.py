"""Password hashing and the account password policy's rules, without a server."""

import pytest

from iamd.service.passwords import (DAY, SYMBOLS, PasswordPolicy, expires_at, hash_password, reused,
                                    verify_password, violations)


def test_hash_is_argon2id_salted_and_verifies():
    h1, h2 = hash_password("Correct-Horse-1"), hash_password("Correct-Horse-1")
    assert h1.startswith("$argon2id$") and h1 != h2
    assert "Correct-Horse-1" not in h1
    assert verify_password(h1, "Correct-Horse-1")
    assert not verify_password(h1, "correct-horse-1")
    assert not verify_password("not a hash", "Correct-Horse-1")


def test_defaults_are_what_an_empty_update_sets():
    p = PasswordPolicy()
    assert (p.minimum_length, p.require_symbols, p.require_numbers, p.require_uppercase,
            p.require_lowercase, p.allow_users_to_change) == (6, False, False, False, False, False)
    assert p.max_age is None and p.reuse_prevention is None


def test_no_policy_enforces_nothing_beyond_the_model():
    assert violations(None, "a") == []


def test_default_policy_only_checks_length():
    assert violations(PasswordPolicy(), "abcde") == ["Password should have a minimum length of 6"]
    assert violations(PasswordPolicy(), "abcdef") == []


@pytest.mark.parametrize("rule,bad,good,message", [
    ("require_lowercase", "ABCDEFGH", "ABCDEFGh", "Password should have at least one lowercase letter"),
    ("require_uppercase", "abcdefgh", "abcdefgH", "Password should have at least one uppercase letter"),
    ("require_numbers", "abcdefgh", "abcdefg7", "Password should have at least one number"),
    ("require_symbols", "abcdefgh", "abcdefg|", "Password should have at least one symbol"),
])
def test_each_character_class_rule(rule, bad, good, message):
    policy = PasswordPolicy(**{rule: True})
    assert violations(policy, bad) == [message]
    assert violations(policy, good) == []


def test_every_failed_rule_is_named():
    policy = PasswordPolicy(minimum_length=12, require_symbols=True, require_numbers=True,
                            require_uppercase=True, require_lowercase=True)
    assert violations(policy, "   ") == [
        "Password should have a minimum length of 12",
        "Password should have at least one lowercase letter",
        "Password should have at least one uppercase letter",
        "Password should have at least one number",
        "Password should have at least one symbol",
    ]


def test_symbols_are_awss_set_only():
    assert SYMBOLS == set("!@#$%^&*()_+-=[]{}|'")
    policy = PasswordPolicy(require_symbols=True)
    for other in ("~", "`", "\"", ";", ":", "<", ">", ",", ".", "?", "/", "\\", " "):
        assert violations(policy, "abcdef" + other), other


def test_reused_checks_every_given_hash():
    hashes = [hash_password("first-pass"), hash_password("second-pass")]
    assert reused(hashes, "second-pass") and reused(hashes, "first-pass")
    assert not reused(hashes, "third-pass")
    assert not reused([], "first-pass")


def test_expiry_follows_max_age():
    assert expires_at(1000.0, None) is None
    assert expires_at(1000.0, PasswordPolicy()) is None
    assert expires_at(1000.0, PasswordPolicy(max_age=90)) == 1000.0 + 90 * DAY
