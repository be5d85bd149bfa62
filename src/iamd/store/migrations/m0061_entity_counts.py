"""entity_counts: per-account counts of the entities that have an account-wide quota,
kept by triggers so that every insert and delete, whatever issues it, moves the count.

A create used to count the account's rows for its quota check: a scan that grows with the
account (10,000 users: a quarter of a millisecond per CreateUser). The triggers upsert on
insert (the row appears with the first entity) and decrement on delete; AWS managed
policies (account_id NULL) are not counted. Existing rows are counted once, here.
"""

from sqlalchemy import text

from ..schema import load_all

VERSION = 61
COUNTED = ("users", "groups", "roles", "managed_policies", "instance_profiles")

_SQLITE = ("""
CREATE TRIGGER IF NOT EXISTS {t}_count_insert AFTER INSERT ON {t} WHEN NEW.account_id IS NOT NULL BEGIN
  INSERT INTO entity_counts (account_id, kind, n) VALUES (NEW.account_id, '{t}', 1)
  ON CONFLICT (account_id, kind) DO UPDATE SET n = n + 1;
END""", """
CREATE TRIGGER IF NOT EXISTS {t}_count_delete AFTER DELETE ON {t} WHEN OLD.account_id IS NOT NULL BEGIN
  UPDATE entity_counts SET n = n - 1 WHERE account_id = OLD.account_id AND kind = '{t}';
END""")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION iamd_count_entities() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.account_id IS NOT NULL THEN
      INSERT INTO entity_counts (account_id, kind, n) VALUES (NEW.account_id, TG_TABLE_NAME, 1)
      ON CONFLICT (account_id, kind) DO UPDATE SET n = entity_counts.n + 1;
    END IF;
  ELSIF OLD.account_id IS NOT NULL THEN
    UPDATE entity_counts SET n = n - 1 WHERE account_id = OLD.account_id AND kind = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql
"""

_PG_TRIGGER = ("DROP TRIGGER IF EXISTS {t}_count ON {t}",
               "CREATE TRIGGER {t}_count AFTER INSERT OR DELETE ON {t} FOR EACH ROW "
               "EXECUTE FUNCTION iamd_count_entities()")


def upgrade(conn) -> None:
    load_all().tables["entity_counts"].create(conn, checkfirst=True)
    conn.execute(text("DELETE FROM entity_counts"))
    for table in COUNTED:
        conn.execute(text(f"INSERT INTO entity_counts (account_id, kind, n) SELECT account_id, '{table}', "
                          f"count(*) FROM {table} WHERE account_id IS NOT NULL GROUP BY account_id"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(_PG_FUNCTION))
        statements = _PG_TRIGGER
    else:
        statements = _SQLITE
    for table in COUNTED:
        for statement in statements:
            conn.execute(text(statement.format(t=table)))
