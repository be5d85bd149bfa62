"""Who is calling: the authenticated principal handed to authorization and handlers."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: str
    kind: str  # "root", "user", "assumed-role", "federated-user"
    arn: str
    user_id: str  # UserId as GetCallerIdentity shows it
    name: str | None = None  # user name for users
    entity_id: str | None = None  # AIDA… / AROA… of the underlying entity
    access_key_id: str | None = None
    unchecked: bool = False  # `--auth off`: not authenticated, so not authorized either

    @property
    def is_root(self) -> bool:
        return self.kind == "root"


def root_principal(account_id: str, access_key_id: str | None = None) -> Principal:
    return Principal(account_id, "root", f"arn:aws:iam::{account_id}:root", account_id,
                     access_key_id=access_key_id)


def user_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def user_principal(account_id: str, user_id: str, path: str, name: str,
                   access_key_id: str | None = None) -> Principal:
    return Principal(account_id, "user", user_arn(account_id, path, name), user_id, name,
                     user_id, access_key_id)
