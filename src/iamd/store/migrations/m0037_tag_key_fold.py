"""tags.key_norm of users and roles: re-folded with `casefold.fold`, one character for one.

Earlier versions stored `key.lower()`, whose full Unicode mapping lengthens some keys
(`İ` became two characters: a 128-character key overflowed the column on PostgreSQL and
kept a longer copy on SQLite) and treats a few characters differently (final sigma, `ſ`).
Only keys with non-ASCII characters can differ. Where two stored keys now fold alike, the
one already stored under the new form is kept (else the first met), as a TagUser with the
second key would have replaced the first.
"""

from sqlalchemy import and_, delete, insert, select

from ..casefold import fold
from ..schema.core import tags

VERSION = 37


def upgrade(conn) -> None:
    c = tags.c
    rows = conn.execute(select(tags).where(c.resource_type.in_(("user", "role")))).all()
    stale = [r for r in rows if not r.key.isascii() and fold(r.key) != r.key_norm]
    if not stale:
        return
    stale_ids = {id(r) for r in stale}
    held = {(r.resource_type, r.resource_id, r.key_norm) for r in rows if id(r) not in stale_ids}
    for r in stale:
        conn.execute(delete(tags).where(and_(c.resource_type == r.resource_type,
                                             c.resource_id == r.resource_id, c.key_norm == r.key_norm)))
    for r in stale:
        norm = (r.resource_type, r.resource_id, fold(r.key))
        if norm not in held:
            conn.execute(insert(tags).values({**r._mapping, "key_norm": norm[2]}))
            held.add(norm)
