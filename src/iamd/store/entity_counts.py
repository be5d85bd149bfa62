"""How many users, groups, roles, customer managed policies and instance profiles an
account holds: one row each in entity_counts, kept by triggers (migration m0061), so a
quota check costs one indexed read however large the account is."""

from sqlalchemy import bindparam, select

from .fastq import Query
from .schema.core import entity_counts

_COUNT = Query(select(entity_counts.c.n).where(entity_counts.c.account_id == bindparam("account_id"),
                                               entity_counts.c.kind == bindparam("kind")))


def entity_count(tx, account_id: str, table) -> int:
    """Rows of `table` (one of the counted tables) that belong to the account."""
    return _COUNT.scalar(tx, account_id=account_id, kind=table.name) or 0
