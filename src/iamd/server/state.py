"""What a worker process holds for its lifetime: store, secret box, resolver, settings."""

from dataclasses import dataclass

from ..auth.authenticate import Authenticator
from ..auth.credentials import CredentialResolver
from ..store.crypto import SecretBox
from ..store.engine import Store
from .authorize import Authorizer
from .settings import Settings


@dataclass
class AppState:
    settings: Settings
    store: Store
    box: SecretBox
    resolver: CredentialResolver
    authenticator: Authenticator
    account_id: str
    account_created: float
    authorize: Authorizer

    @classmethod
    def open(cls, settings: Settings) -> "AppState":
        from sqlalchemy import select

        from ..store.schema.core import accounts
        store = Store(settings.database_url, settings.data_path, timeout=settings.db_timeout)
        box = SecretBox.load(settings.data_path)
        row = store.run(lambda tx: tx.execute(
            select(accounts).where(accounts.c.account_id == settings.account_id)).first()
            if settings.account_id else tx.execute(select(accounts).order_by(accounts.c.created_at)).first(),
            write=False)
        resolver = CredentialResolver(store, box)
        auth = Authenticator(resolver, row.account_id, settings.enforce)
        return cls(settings, store, box, resolver, auth, row.account_id, row.created_at, Authorizer())

    def created(self, tx, account_id: str) -> float:
        """When an account was created (GetUser of root); the server's first account is known."""
        if account_id == self.account_id:
            return self.account_created
        from sqlalchemy import select

        from ..store.schema.core import accounts
        return tx.execute(select(accounts.c.created_at).where(accounts.c.account_id == account_id)).scalar() \
            or self.account_created
