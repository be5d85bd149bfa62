"""Failed console sign-ins, shared by all workers (store/schema/console.py)."""

from ..schema import load_all

VERSION = 110


def upgrade(conn) -> None:
    load_all().tables["console_signin_failures"].create(conn, checkfirst=True)
