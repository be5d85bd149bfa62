"""iamd as an OpenID Connect issuer (outbound web identity federation): per account, the
feature's state and issuer id, and the signing keys (private keys encrypted by the
secret box; retired keys stay published for a while)."""

from sqlalchemy import Boolean, Column, Float, Index, String, Table, Text

from . import metadata

outbound_issuers = Table(
    "outbound_issuers", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("issuer_id", String(64), nullable=False, unique=True),  # the path part of the issuer URL
    Column("enabled", Boolean, nullable=False),
    Column("changed_at", Float, nullable=False),
)

issuer_keys = Table(
    "issuer_keys", metadata,
    Column("kid", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("algorithm", String(8), nullable=False),  # RS256 | ES384
    Column("private_key", Text, nullable=False),  # PEM, encrypted (store/crypto.SecretBox)
    Column("created_at", Float, nullable=False),
    Column("retired_at", Float),  # set when a newer key took over; published until KEEP_PUBLISHED later
)
Index("ix_issuer_keys_account", issuer_keys.c.account_id, issuer_keys.c.algorithm)
