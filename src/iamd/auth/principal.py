"""Who is calling: the authenticated principal handed to authorization and handlers."""

from dataclasses import dataclass, field


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
    # an STS session's sealed claims (service/sessions.py), None for long-term keys
    session: dict | None = field(default=None, compare=False)

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


def session_principal(claims: dict) -> Principal:
    """The principal an STS session token's claims describe (reference §7.5)."""
    account, kind, key = claims["a"], claims["t"], claims["k"]
    if kind == "assumed-role":
        role_name = claims["ra"].rsplit("/", 1)[1]
        session = claims["sn"]
        return Principal(account, kind, f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
                         f"{claims['ri']}:{session}", None, claims["ri"], key, session=claims)
    if kind == "federated-user":
        name = claims["fn"]
        return Principal(account, kind, f"arn:aws:sts::{account}:federated-user/{name}", f"{account}:{name}",
                         None, claims.get("ui"), key, session=claims)
    if kind == "user":
        arn = claims["ua"]
        return Principal(account, kind, arn, claims["ui"], arn.rsplit("/", 1)[1], claims["ui"], key,
                         session=claims)
    return Principal(account, "root", f"arn:aws:iam::{account}:root", account, access_key_id=key,
                     session=claims)
