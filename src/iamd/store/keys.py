"""Access keys: the secret encrypted at rest; NULL user_id marks a root key."""

from sqlalchemy import bindparam, delete, func, insert, or_, select, update

from .fastq import Query

from .schema.core import access_keys, users


class AccessKeyRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, key_id: str, user_id: str | None, secret_enc: str, created_at: float,
               status: str = "Active") -> None:
        self.tx.execute(insert(access_keys).values(
            access_key_id=key_id, account_id=self.account_id, user_id=user_id,
            secret=secret_enc, status=status, created_at=created_at))

    def _owner(self, user_id: str | None):
        c = access_keys.c
        return (c.user_id == user_id) if user_id else (c.user_id.is_(None))

    def for_user(self, user_id: str | None):
        c = access_keys.c
        return self.tx.execute(select(access_keys).where(
            c.account_id == self.account_id, self._owner(user_id)).order_by(c.created_at, c.access_key_id)).all()

    def count_for_user(self, user_id: str | None) -> int:
        c = access_keys.c
        return self.tx.execute(select(func.count()).select_from(access_keys).where(
            c.account_id == self.account_id, self._owner(user_id))).scalar()

    def get(self, key_id: str):
        c = access_keys.c
        return self.tx.execute(select(access_keys).where(
            c.account_id == self.account_id, c.access_key_id == key_id)).first()

    def set_status(self, key_id: str, status: str) -> None:
        self.tx.execute(update(access_keys).where(access_keys.c.access_key_id == key_id)
                        .values(status=status))

    def delete(self, key_id: str) -> None:
        self.tx.execute(delete(access_keys).where(access_keys.c.access_key_id == key_id))

    def delete_for_user(self, user_id: str) -> None:
        self.tx.execute(delete(access_keys).where(access_keys.c.user_id == user_id))


_LOOKUP = Query(
    select(access_keys.c.access_key_id, access_keys.c.account_id, access_keys.c.user_id,
           access_keys.c.secret, access_keys.c.status, access_keys.c.last_used_at,
           users.c.name, users.c.path)
    .select_from(access_keys.outerjoin(users, users.c.user_id == access_keys.c.user_id))
    .where(access_keys.c.access_key_id == bindparam("key_id")))

_RECORD_USE = Query(
    # Only the first use in a span is recorded; another worker may have recorded it already.
    update(access_keys).where(access_keys.c.access_key_id == bindparam("key_id"),
                              or_(access_keys.c.last_used_at.is_(None),
                                  access_keys.c.last_used_at <= bindparam("span_start"))).values(
        last_used_at=bindparam("at"), last_used_region=bindparam("region"),
        last_used_service=bindparam("service")))


def lookup_key(tx, key_id: str):
    """The key with its owner's name and path, across accounts (authentication)."""
    return _LOOKUP.one(tx, key_id=key_id)


def record_use(tx, key_id: str, at: float, region: str, service: str, span: float = 900) -> None:
    _RECORD_USE.run(tx, key_id=key_id, at=at, region=region, service=service, span_start=at - span)
