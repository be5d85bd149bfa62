"""The web console's server-side state: sign-in sessions and the root user's password."""

from sqlalchemy import Column, Float, Index, String, Table, Text

from . import metadata

# One row per browser session. The cookie carries a random token; only its SHA-256 is kept,
# so a copy of the database signs no one in. `stage` is "active" once signed in, or the step
# a sign-in still owes ("mfa", "change-password").
console_sessions = Table(
    "console_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("kind", String(16), nullable=False),  # "root" or "user"
    Column("user_id", String(32)),  # the IAM user's id (None for root)
    Column("stage", String(32), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("source_ip", String(64)),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    # When the sign-in's MFA code was accepted (m0111); None: signed in without MFA. The
    # audit trail's mfaAuthenticated for the session's calls.
    Column("mfa_at", Float),
)
Index("ix_console_sessions_expiry", console_sessions.c.expires_at)

# The root user's console password (argon2id), set by `iamd root-password set`.
root_passwords = Table(
    "root_passwords", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("changed_at", Float, nullable=False),
    Column("last_used", Float),
)

# Failed console sign-ins (m0110), one row per failure and counted key: a user from an
# address, and the address itself. Kept in the database so that every worker of
# `--workers N` counts the same failures. `key` is the SHA-256 of the counted key (names
# given at sign-in can be anything; the row stays small); rows older than the window go.
console_signin_failures = Table(
    "console_signin_failures", metadata,
    Column("key", String(64), nullable=False),
    Column("at", Float, nullable=False),
)
Index("ix_console_signin_failures_key", console_signin_failures.c.key, console_signin_failures.c.at)
Index("ix_console_signin_failures_at", console_signin_failures.c.at)
