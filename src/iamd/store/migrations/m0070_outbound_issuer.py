"""Outbound web identity federation: the per-account issuer and its signing keys."""

from ..schema import load_all

VERSION = 70


def upgrade(conn) -> None:
    meta = load_all()
    for name in ("outbound_issuers", "issuer_keys"):
        meta.tables[name].create(conn, checkfirst=True)
