"""The account-wide reads walk an index from where they start, so their cost does not grow
with the account or with the marker's position: checked on SQLite's query plans (a plan
that sorts, "USE TEMP B-TREE", or scans a table would grow with the account), and on
PostgreSQL's for the lookups of a page's relations."""

import pytest
from conftest import ENGINES, pg_create_database, pg_drop_database

from iamd.store import access_advisor, fastq, reports
from iamd.store.engine import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(None, tmp_path_factory.mktemp("plans"))
    s.migrate()
    yield s
    s.dispose()


def plan(store, query: fastq.Query, **params) -> str:
    def explain(tx):
        sql, names, defaults, _, expanding = query._compiled.get("sqlite") or query._compile(tx.conn.dialect)
        sql, merged = fastq._expand(sql, {**defaults, **params}, expanding, "qmark") if expanding \
            else (sql, {**defaults, **params})
        args = []
        for n in names:
            args.extend(merged[n]) if n in expanding else args.append(merged[n])
        return "\n".join(row[-1] for row in tx.raw.execute("EXPLAIN QUERY PLAN " + sql, args))
    return store.run(explain, write=False)


@pytest.mark.parametrize("kind,index", [("User", "ix_users_created"), ("Group", "ix_groups_created"),
                                        ("Role", "ix_roles_created"),
                                        ("Policy", "ix_managed_policies_created")])
@pytest.mark.parametrize("after", [False, True])
def test_a_page_of_authorization_details_walks_the_creation_index(store, kind, index, after):
    params = {"account_id": "123456789012", "limit": 1001}
    if after:
        params.update(after_at=1.0, after_id="A")
    text = plan(store, reports._GAAD[kind, "account", after], **params)
    assert index in text
    assert "TEMP B-TREE" not in text


@pytest.mark.parametrize("after", [False, True])
def test_aws_managed_policies_in_use_are_probed_not_scanned(store, after):
    params = {"account_id": "123456789012", "limit": 1001}
    if after:
        params.update(after_at=1.0, after_id="A")
    text = plan(store, reports._GAAD["Policy", "aws", after], **params)
    assert "TEMP B-TREE" not in text
    assert "ix_users_boundary" in text and "ix_roles_boundary" in text
    assert "SCAN users" not in text and "SCAN roles" not in text


@pytest.mark.parametrize("query", reports._BOUNDARY_COUNTS)
def test_boundary_usage_counts_are_index_lookups(store, query):
    text = plan(store, query, account_id="123456789012", ids=["arn:aws:iam::123456789012:policy/p"] * 3)
    assert "_boundary" in text and "SCAN" not in text


def test_the_access_advisor_reads_an_entitys_last_calls_from_the_key(store):
    stmt = access_advisor.latest_statement("123456789012", 0.0, ["arn:aws:iam::123456789012:user/a",
                                                                 "arn:aws:iam::123456789012:role/r"])

    def explain(tx):
        sql = str(stmt.compile(tx.conn, compile_kwargs={"literal_binds": True}))
        return "\n".join(row[-1] for row in tx.raw.execute("EXPLAIN QUERY PLAN " + sql))
    text = store.run(explain, write=False)
    assert "USING INDEX sqlite_autoindex_access_last_used" in text and "SCAN" not in text


@pytest.mark.parametrize("query,index", [(reports._ATTACHED, "ix_policy_attachments_entity_policy"),
                                         (reports._GROUP_NAMES, "ix_group_members_user_group")])
def test_a_page_of_relations_reads_covering_indexes(store, query, index):
    """A page's attached policies and group names: one index descent per id, no table row
    of the relation read (m0120)."""
    text = plan(store, query, entity_type="user", ids=["AIDAEXAMPLE1", "AIDAEXAMPLE2"])
    assert f"COVERING INDEX {index}" in text


@pytest.fixture(scope="module")
def pg_store(tmp_path_factory):
    if "postgresql" not in ENGINES:
        pytest.skip("PostgreSQL not among IAMD_TEST_ENGINES")
    url = pg_create_database()
    s = Store(url, tmp_path_factory.mktemp("pgplans"))
    s.migrate()
    yield s
    s.dispose()
    pg_drop_database(url)


@pytest.mark.parametrize("name,params", [
    ("_INLINE", {"entity_type": "user"}), ("_ATTACHED", {"entity_type": "group"}), ("_GROUP_NAMES", {}),
    ("_VERSIONS", {}), ("_ATTACHMENT_COUNTS", {"account_id": "123456789012"})])
def test_on_postgresql_a_page_of_relations_is_looked_up_in_indexes(pg_store, name, params):
    """PostgreSQL's planner would scan the whole relation table once it is large; within
    GetAccountAuthorizationDetails's transaction (`probe_by_index`) each id is an index
    lookup, and no parallel plan is started for a page."""
    query = getattr(reports, name)

    def explain(tx):
        reports.probe_by_index(tx)
        sql, _, defaults, _, expanding = query._compiled.get("postgresql") or query._compile(tx.conn.dialect)
        sql, merged = fastq._expand(sql, {**defaults, **params, "ids": ["A1", "A2", "A3"]}, expanding, "pyformat")
        cur = tx.raw.cursor()
        cur.execute("EXPLAIN " + sql, merged)
        return "\n".join(r[0] for r in cur.fetchall())
    text = pg_store.run(explain, write=False)
    assert "Seq Scan" not in text and "Gather" not in text, text
