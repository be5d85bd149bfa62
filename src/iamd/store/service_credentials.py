"""Service-specific credentials (CodeCommit/Keyspaces passwords, Bedrock/CloudWatch Logs API
keys): the secret encrypted at rest, since Reset returns a new one and services verify it."""

from sqlalchemy import delete, func, insert, select, update

from .paging import page
from .schema.core import users
from .schema.credentials import service_credentials

c = service_credentials.c


class ServiceCredentialRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, credential_id: str, user_id: str, service: str, service_user_name: str,
               secret_enc: str, now: float, expires_at: float | None) -> None:
        self.tx.execute(insert(service_credentials).values(
            credential_id=credential_id, account_id=self.account_id, user_id=user_id,
            service_name=service, service_user_name=service_user_name, password=secret_enc,
            status="Active", created_at=now, expires_at=expires_at))

    def for_service(self, user_id: str, service: str) -> list:
        return self.tx.execute(select(service_credentials).where(
            c.user_id == user_id, c.service_name == service)).all()

    def get(self, user_id: str, credential_id: str):
        return self.tx.execute(select(service_credentials).where(
            c.account_id == self.account_id, c.user_id == user_id,
            c.credential_id == credential_id)).first()

    def update(self, credential_id: str, **values) -> None:
        self.tx.execute(update(service_credentials).where(c.credential_id == credential_id).values(**values))

    def delete(self, credential_id: str) -> None:
        self.tx.execute(delete(service_credentials).where(c.credential_id == credential_id))

    def count_for_user(self, user_id: str) -> int:
        return self.tx.execute(select(func.count()).select_from(service_credentials)
                               .where(c.user_id == user_id)).scalar()

    def list(self, user_id: str | None, service: str | None, marker: str | None, max_items: int | None):
        """Rows with the owner's name as `user_name`, oldest first; user_id None: all users."""
        stmt = (select(service_credentials, users.c.name.label("user_name"))
                .join(users, users.c.user_id == c.user_id)
                .where(c.account_id == self.account_id))
        if user_id is not None:
            stmt = stmt.where(c.user_id == user_id)
        if service is not None:
            stmt = stmt.where(c.service_name == service)
        return page(self.tx, stmt, [c.created_at, c.credential_id], marker, max_items)
