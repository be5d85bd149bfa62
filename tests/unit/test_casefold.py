"""Case folding of the normalized columns, and the migration that re-folds stored tag keys."""

import sys

from sqlalchemy import create_engine, insert, select

from iamd.store.casefold import fold
from iamd.store.migrations import m0037_tag_key_fold
from iamd.store.schema import load_all
from iamd.store.schema.core import tags


def test_fold_never_changes_the_length():
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        assert len(fold(c)) == 1, hex(cp)
        assert fold(fold(c)) == fold(c), hex(cp)


def test_fold_is_case_insensitive_like_java():
    assert fold("İSTANBUL") == fold("istanbul") == "istanbul"
    assert fold("ΟΔΟΣ") == fold("οδος") == fold("οδοσ")  # final sigma is a sigma
    assert fold("ſ") == fold("S") == "s" and fold("\u212a") == "k"  # long s, Kelvin sign
    assert fold("Straße") == "straße"  # no one-character upper case: stays
    assert fold("Department") == "department"


def test_migration_refolds_stale_keys_and_keeps_one_of_a_clash():
    engine = create_engine("sqlite://")
    load_all().create_all(engine)
    rows = [
        ("user", "AIDA1", "İ" * 3, "i̇" * 3),  # İ.lower(): two characters each
        ("user", "AIDA1", "Dept", "dept"),   # ASCII: untouched
        ("role", "AROA1", "ΟΔΟΣ", "οδος"),   # final sigma
        ("role", "AROA1", "οδοσ", "οδοσ"),   # already folded: it wins the clash
        ("policy", "ANPA1", "İ", "İ"),       # case-sensitive type: untouched
    ]
    with engine.begin() as conn:
        conn.execute(insert(tags), [dict(resource_type=t, resource_id=i, key=k, key_norm=n, value=k,
                                         account_id="123456789012") for t, i, k, n in rows])
        m0037_tag_key_fold.upgrade(conn)
        got = set(conn.execute(select(tags.c.resource_type, tags.c.key, tags.c.key_norm)).all())
    assert got == {("user", "İ" * 3, "iii"), ("user", "Dept", "dept"), ("role", "οδοσ", "οδοσ"),
                   ("policy", "İ", "İ")}
