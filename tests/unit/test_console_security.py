"""The console's sessions, CSRF tokens and sign-in throttle, beneath the server.

Sessions live in a real SQLite store (the migrations make the table); time is passed in,
so expiry is tested without waiting.
"""

import pytest
from sqlalchemy import select

from iamd.console import sessions
from iamd.console.throttle import Throttle
from iamd.store.console import ConsoleSessionRepo
from iamd.store.engine import Store
from iamd.store.schema.console import console_signin_failures

ACCOUNT = "123456789012"
T0 = 1_800_000_000.0


def start(store, stage=sessions.ACTIVE, now=T0):
    return store.run(lambda tx: sessions.start(tx, ACCOUNT, "user", "AIDAEXAMPLE", stage, "10.0.0.1", now))


def load(store, token, now):
    return store.run(lambda tx: sessions.load(tx, token, now))


# -- sessions ---------------------------------------------------------------------------------

def test_a_session_is_found_by_its_token_and_only_its_hash_is_stored(store):
    token, session = start(store)
    got = load(store, token, T0 + 1)
    assert got == session and got.active and got.user_id == "AIDAEXAMPLE"
    assert store.run(lambda tx: ConsoleSessionRepo(tx).get(token)) is None  # the token itself is not a key
    assert session.token_hash == sessions.token_hash(token) and token not in session.token_hash


def test_unknown_and_oversized_tokens_find_nothing(store):
    start(store)
    assert load(store, sessions.new_token(), T0) is None
    assert load(store, None, T0) is None
    assert load(store, "x" * 500, T0) is None


def test_a_session_ends_after_twelve_hours_even_when_busy(store):
    token, _ = start(store)
    for hour in range(1, 12):
        assert load(store, token, T0 + hour * 3600 - 1) is not None  # used every hour: never idle
    assert load(store, token, T0 + sessions.ABSOLUTE) is None
    assert load(store, token, T0 + 1) is None  # and it is gone, not just hidden


def test_an_idle_session_ends(store):
    token, _ = start(store)
    assert load(store, token, T0 + sessions.IDLE - 1) is not None
    token2, _ = start(store)
    assert load(store, token2, T0 + sessions.IDLE + sessions.TOUCH_EVERY + 1) is None


def test_a_pending_sign_in_step_lasts_minutes(store):
    token, session = start(store, stage="mfa")
    assert not session.active
    assert load(store, token, T0 + sessions.PENDING - 1).stage == "mfa"
    assert load(store, token, T0 + sessions.PENDING) is None


def test_advancing_issues_a_new_token_and_kills_the_old(store):
    token, session = start(store, stage="mfa")
    new_token, new = store.run(lambda tx: sessions.advance(tx, session, sessions.ACTIVE, "10.0.0.1", T0 + 5))
    assert new_token != token and new.csrf != session.csrf and new.active
    assert load(store, token, T0 + 6) is None
    assert load(store, new_token, T0 + 6) == new


def test_the_session_after_the_mfa_step_remembers_the_code_was_given(store):
    token, session = start(store, stage="mfa")
    assert session.mfa_at is None and session.audit_context == (T0, False)
    new_token, new = store.run(lambda tx: sessions.advance(tx, session, "change-password", "10.0.0.1", T0 + 5))
    assert new.mfa_at == T0 + 5
    last_token, last = store.run(lambda tx: sessions.advance(tx, new, sessions.ACTIVE, "10.0.0.1", T0 + 9))
    assert load(store, last_token, T0 + 10).audit_context == (T0 + 9, True)  # kept through later steps
    plain_token, _ = start(store)
    assert load(store, plain_token, T0 + 1).audit_context == (T0, False)


def test_signing_out_ends_the_session(store):
    token, session = start(store)
    store.run(lambda tx: sessions.end(tx, session))
    assert load(store, token, T0 + 1) is None


def test_sweep_forgets_expired_sessions_only(store):
    old, _ = start(store, stage="mfa")
    live, _ = start(store, now=T0 + 1000)
    assert store.run(lambda tx: sessions.sweep(tx, T0 + 1000)) == 1
    assert load(store, live, T0 + 1001) is not None


# -- CSRF -------------------------------------------------------------------------------------

def test_csrf_token_must_match_exactly():
    token = sessions.new_token()
    assert sessions.csrf_ok(token, token)
    assert not sessions.csrf_ok(token, token[:-1])
    assert not sessions.csrf_ok(token, token + "x")
    assert not sessions.csrf_ok(token, "")
    assert not sessions.csrf_ok(token, None)
    assert not sessions.csrf_ok(token, ["a", "list"])
    assert not sessions.csrf_ok(None, token)  # no session, no presign cookie: nothing matches
    assert not sessions.csrf_ok("", "")


def test_each_session_has_its_own_csrf_token(store):
    a = start(store)[1]
    b = start(store)[1]
    assert a.csrf != b.csrf and len(a.csrf) >= 40


# -- throttle ---------------------------------------------------------------------------------

class Counted:
    """A Throttle over a store, each call in a transaction of its own (as each sign-in is)."""

    def __init__(self, store, **limits):
        self.store, self.throttle = store, Throttle(**limits)

    def __getattr__(self, name):
        fn = getattr(self.throttle, name)
        return lambda *args: self.store.run(lambda tx: fn(tx, *args))


def test_five_failures_lock_the_user_from_that_address_for_the_window(store):
    t = Counted(store, limit=5, address_limit=100, window=900)
    for i in range(5):
        assert t.retry_after(ACCOUNT, "Alice", "10.0.0.1", T0 + i) == 0
        t.failed(ACCOUNT, "Alice", "10.0.0.1", T0 + i)
    assert t.retry_after(ACCOUNT, "alice", "10.0.0.1", T0 + 5) == pytest.approx(895)  # names fold
    assert t.retry_after(ACCOUNT, "alice", "10.0.0.2", T0 + 5) == 0  # another address
    assert t.retry_after(ACCOUNT, "bob", "10.0.0.1", T0 + 5) == 0  # another user
    assert t.retry_after("210987654321", "alice", "10.0.0.1", T0 + 5) == 0  # another account
    assert t.retry_after(ACCOUNT, "alice", "10.0.0.1", T0 + 900) == 0  # the first failure left the window


def test_one_address_failing_for_many_users_is_throttled(store):
    t = Counted(store, limit=5, address_limit=10, window=900)
    for i in range(10):
        t.failed(ACCOUNT, f"user{i}", "10.0.0.9", T0)
    assert t.retry_after(ACCOUNT, "someone-new", "10.0.0.9", T0 + 1) > 0
    assert t.retry_after(ACCOUNT, "someone-new", "10.0.0.8", T0 + 1) == 0


def test_success_clears_the_users_count_not_the_addresss(store):
    t = Counted(store, limit=3, address_limit=5, window=900)
    for _ in range(2):
        t.failed(ACCOUNT, "alice", "10.0.0.1", T0)
    t.succeeded(ACCOUNT, "alice", "10.0.0.1")
    t.failed(ACCOUNT, "alice", "10.0.0.1", T0)
    assert t.retry_after(ACCOUNT, "alice", "10.0.0.1", T0) == 0
    for _ in range(2):
        t.failed(ACCOUNT, "bob", "10.0.0.1", T0)
    assert t.retry_after(ACCOUNT, "carol", "10.0.0.1", T0) > 0  # 5 failures from the address


def test_workers_share_the_counts(store, tmp_path):
    """Two stores on one database are two workers of `--workers 2`: failures seen by
    either count for both, so a second worker gives an attacker no more tries."""
    other = Store(None, tmp_path)
    try:
        a, b = Counted(store, limit=4, window=900), Counted(other, limit=4, window=900)
        for i in range(4):
            (a if i % 2 else b).failed(ACCOUNT, "alice", "10.0.0.1", T0 + i)
        assert a.retry_after(ACCOUNT, "alice", "10.0.0.1", T0 + 5) > 0
        assert b.retry_after(ACCOUNT, "alice", "10.0.0.1", T0 + 5) > 0
        b.succeeded(ACCOUNT, "alice", "10.0.0.1")
        assert a.retry_after(ACCOUNT, "alice", "10.0.0.1", T0 + 5) == 0
    finally:
        other.dispose()


def test_old_failures_are_purged_and_names_are_not_stored(store):
    t = Counted(store, window=900)
    for i in range(50):
        t.failed(ACCOUNT, f"secret-name-{i}", "10.0.0.1", T0)
    t.failed(ACCOUNT, "late", "10.0.0.2", T0 + 901)  # purges everything older than the window
    rows = store.run(lambda tx: tx.execute(select(console_signin_failures)).all())
    assert len(rows) == 2 and all(r.at == T0 + 901 for r in rows)
    assert not any("late" in r.key or "10.0.0" in r.key for r in rows)
