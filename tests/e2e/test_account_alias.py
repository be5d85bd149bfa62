"""Account alias over HTTP: one per account, replaced by create, unique across accounts."""

import secrets
import time

import pytest
from botocore.exceptions import ClientError
from helpers import code_status_message as error
from helpers import db
from sqlalchemy import delete, insert, update

from iamd.store.schema.core import accounts


@pytest.fixture
def alias():
    return lambda: f"al-{secrets.token_hex(6)}"


@pytest.fixture
def other_account(server):
    """A second account hosted by the same server, created straight in its database (the
    API cannot make one)."""
    engine = db(server)
    account_id = f"{secrets.randbelow(9 * 10**11) + 10**11}"
    with engine.begin() as conn:
        conn.execute(insert(accounts).values(account_id=account_id, created_at=time.time(), settings="{}"))

    def set_alias(value):
        with engine.begin() as conn:
            conn.execute(update(accounts).where(accounts.c.account_id == account_id).values(alias=value))
    yield set_alias
    with engine.begin() as conn:
        conn.execute(delete(accounts).where(accounts.c.account_id == account_id))
    engine.dispose()


def test_create_replace_list_delete(iam, alias):
    first, second = alias(), alias()
    iam.create_account_alias(AccountAlias=first)
    assert iam.list_account_aliases()["AccountAliases"] == [first]
    iam.create_account_alias(AccountAlias=second)  # replaces, never LimitExceeded
    listed = iam.list_account_aliases()
    assert listed["AccountAliases"] == [second] and listed["IsTruncated"] is False
    assert "Marker" not in listed
    iam.delete_account_alias(AccountAlias=second)
    empty = iam.list_account_aliases()
    assert empty["AccountAliases"] == [] and empty["IsTruncated"] is False


def test_recreating_own_alias_succeeds(iam, alias):
    a = alias()
    iam.create_account_alias(AccountAlias=a)
    iam.create_account_alias(AccountAlias=a)
    assert iam.list_account_aliases(MaxItems=1)["AccountAliases"] == [a]
    iam.delete_account_alias(AccountAlias=a)


def test_alias_held_by_another_account(iam, alias, other_account):
    taken = alias()
    other_account(taken)
    with pytest.raises(ClientError) as e:
        iam.create_account_alias(AccountAlias=taken)
    assert error(e) == ("EntityAlreadyExists", 409, f"The account alias {taken} already exists.")
    assert taken not in iam.list_account_aliases()["AccountAliases"]


def test_replaced_alias_is_free_for_others(iam, alias, other_account):
    old, new = alias(), alias()
    iam.create_account_alias(AccountAlias=old)
    iam.create_account_alias(AccountAlias=new)
    other_account(old)  # would violate uniqueness if the old alias were still held
    with pytest.raises(ClientError) as e:
        iam.create_account_alias(AccountAlias=old)
    assert error(e)[0] == "EntityAlreadyExists"
    assert iam.list_account_aliases()["AccountAliases"] == [new]
    iam.delete_account_alias(AccountAlias=new)


def test_delete_other_name_or_none(iam, alias):
    a, other = alias(), alias()
    iam.create_account_alias(AccountAlias=a)
    with pytest.raises(ClientError) as e:
        iam.delete_account_alias(AccountAlias=other)
    assert error(e) == ("NoSuchEntity", 404, f"The account alias {other} cannot be found.")
    assert iam.list_account_aliases()["AccountAliases"] == [a]
    iam.delete_account_alias(AccountAlias=a)
    with pytest.raises(ClientError) as e:
        iam.delete_account_alias(AccountAlias=a)
    assert error(e)[:2] == ("NoSuchEntity", 404)


@pytest.mark.parametrize("bad", ["Upper-case", "ab", "-lead", "trail-", "dou--ble", "under_score", "a" * 64])
def test_pattern_and_length(unchecked_iam, bad):
    with pytest.raises(ClientError) as e:
        unchecked_iam.create_account_alias(AccountAlias=bad)
    code, status, message = error(e)
    assert (code, status) == ("ValidationError", 400)
    assert f"Value '{bad}' at 'accountAlias' failed to satisfy constraint" in message


def test_twelve_digits_refused(iam):
    with pytest.raises(ClientError) as e:
        iam.create_account_alias(AccountAlias="123456789012")
    code, status, message = error(e)
    assert (code, status) == ("ValidationError", 400) and "12-digit" in message
    iam.create_account_alias(AccountAlias="1234567890123")  # thirteen digits are an alias
    iam.delete_account_alias(AccountAlias="1234567890123")
