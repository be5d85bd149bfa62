"""Delegation requests, partners' policy templates, the notifications SendDelegationToken
delivers, and Organizations access-report jobs (schema/delegation.py).

Requests are not scoped to one account: a partner's account creates them and a customer's
account owns them, so every read says which side it looks from.
"""

import json

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .paging import page
from .schema.delegation import (delegation_notifications, delegation_requests, organizations_access_reports,
                                policy_templates)

R = delegation_requests.c


class DelegationRepo:
    def __init__(self, tx):
        self.tx = tx

    # -- policy templates --------------------------------------------------------------
    def template(self, arn: str):
        return self.tx.execute(select(policy_templates).where(policy_templates.c.arn == arn)).first()

    def put_template(self, arn: str, account_id: str, document: str, now: float) -> None:
        values = {"account_id": account_id, "document": document, "created_at": now}
        if self.template(arn) is None:
            self.tx.execute(insert(policy_templates).values(arn=arn, **values))
        else:
            self.tx.execute(update(policy_templates).where(policy_templates.c.arn == arn).values(**values))

    # -- requests ----------------------------------------------------------------------
    def create(self, **values) -> bool:
        """Insert a request; False when the requestor already used its workflow id."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(delegation_requests).values(**values))
        except IntegrityError:
            return False
        return True

    def get(self, request_id: str, lock: bool = False):
        stmt = select(delegation_requests).where(R.request_id == request_id)
        return self.tx.execute(self.tx.for_update(stmt) if lock else stmt).first()

    def owner_of(self, request_id: str) -> str | None:
        return self.tx.execute(select(R.owner_id).where(R.request_id == request_id)).scalar()

    def by_token(self, token_hash: str, lock: bool = True):
        stmt = select(delegation_requests).where(R.token_hash == token_hash)
        return self.tx.execute(self.tx.for_update(stmt) if lock else stmt).first()

    def set(self, request_id: str, **values) -> None:
        self.tx.execute(update(delegation_requests).where(R.request_id == request_id).values(**values))

    def listed(self, account_id: str, owner_id: str | None, marker: str | None, max_items: int | None):
        """The requests an account sees in ListDelegationRequests: those it owns (owned by
        one of its identities) and those it created; (rows, next marker)."""
        owned = and_(R.target_account_id == account_id, R.owner_id.is_not(None))
        stmt = select(delegation_requests).where(or_(owned, R.requestor_account_id == account_id))
        if owner_id is not None:
            stmt = stmt.where(R.owner_id == owner_id)
        return page(self.tx, stmt, (R.created_at, R.request_id), marker, max_items)

    def notify(self, channel: str, request_id: str, message: dict, now: float) -> None:
        self.tx.execute(insert(delegation_notifications).values(
            channel=channel, request_id=request_id, message=json.dumps(message), created_at=now))

    def notifications(self, channel: str | None = None) -> list:
        stmt = select(delegation_notifications).order_by(delegation_notifications.c.seq)
        if channel is not None:
            stmt = stmt.where(delegation_notifications.c.channel == channel)
        return self.tx.execute(stmt).all()

    # -- Organizations access reports ------------------------------------------------------
    def add_report(self, job_id: str, account_id: str, entity_path: str, now: float) -> None:
        self.tx.execute(insert(organizations_access_reports).values(
            job_id=job_id, account_id=account_id, entity_path=entity_path, created_at=now))

    def report(self, job_id: str, account_id: str):
        t = organizations_access_reports.c
        return self.tx.execute(select(organizations_access_reports)
                               .where(t.job_id == job_id, t.account_id == account_id)).first()
