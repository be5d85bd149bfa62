"""`iamd audit`: read the audit trail from the server's database (as `iamd serve` opens it).

    iamd audit events [--start-time T] [--end-time T] [--user NAME|ARN] [--event-name N]
                      [--error-code CODE|*] [--read-only|--write-only] [--max-items N]
                      [--output table|json]
    iamd audit tail [-f] [-n N] [--output table|json]

Times are ISO 8601 (2026-12-03T10:00:00Z), epoch seconds, or an age (30m, 2h, 7d).
JSON output is CloudTrail's own shape ({"Records": [...]}); `tail` writes one record per
line (JSON Lines) so that it can be piped while it follows.
"""

import json
import re
import sys
import time
from datetime import datetime, timezone

import click

_AGE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TAIL_POLL = 0.5
TAIL_WINDOW = 1000  # PostgreSQL may commit a lower seq after a higher one: look back this far


def _time(value: str | None, param: str) -> float | None:
    if value is None:
        return None
    m = _AGE.match(value.strip())
    if m:
        return time.time() - int(m.group(1)) * _UNITS[m.group(2)]
    try:
        return float(value)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("expected ISO 8601, epoch seconds or an age like 2h", param_hint=param) from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


def _open(data_dir: str, database_url: str | None):
    from pathlib import Path

    from sqlalchemy import inspect

    from ..store.engine import Store
    try:
        store = Store(database_url, Path(data_dir).resolve()) if database_url or (
            Path(data_dir) / "iamd.db").exists() else None
        if store is None or not inspect(store.engine).has_table("audit_events"):
            raise click.ClickException(f"no audit trail in {database_url and 'the database' or data_dir}: "
                                       "start `iamd serve` there first")
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - the database cannot be reached: one line, no traceback
        raise click.ClickException(f"cannot open the store: {str(exc).splitlines()[0]}") from None
    return store


def _db_options(fn):
    fn = click.option("--database-url", default=None, envvar="IAMD_DATABASE_URL",
                      help="postgresql://user@host:5432/db (default: SQLite in the data dir)")(fn)
    return click.option("--data-dir", default="./iamd-data", show_default=True,
                        type=click.Path(file_okay=False), help="the server's data directory")(fn)


def _output_option(fn):
    return click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table",
                        show_default=True)(fn)


def _who(rec: dict) -> str:
    ident = rec.get("userIdentity") or {}
    return ident.get("userName") or ident.get("arn") or ident.get("type", "")


def _table(records: list[dict]):
    from rich.table import Table

    from .account.output import console
    t = Table(box=None, pad_edge=False)
    for col in ("Time", "Event", "Source", "Caller", "IP", "Error", "RO"):
        t.add_column(col, no_wrap=True)
    for r in records:
        t.add_row(r["eventTime"], r["eventName"], r["eventSource"].split(".")[0], _who(r),
                  r.get("sourceIPAddress", ""), r.get("errorCode") or r.get("errorMessage", ""),
                  "yes" if r.get("readOnly") else "no")
    console().print(t)


@click.group()
def audit():
    """Read the audit trail (one CloudTrail record per API call)."""


@audit.command()
@_db_options
@click.option("--start-time", default=None, help="records at or after (ISO 8601, epoch, or an age like 2h)")
@click.option("--end-time", default=None, help="records before")
@click.option("--user", default=None, help="the caller: a user name or a principal ARN")
@click.option("--event-name", default=None, help="an operation, e.g. CreateAccessKey")
@click.option("--error-code", default=None, help="failed calls with this code ('*': every failure)")
@click.option("--read-only/--write-only", "read_only", default=None, help="only reads, or only writes")
@click.option("--max-items", default=1000, show_default=True, type=click.IntRange(min=1),
              help="the newest N matching records")
@_output_option
def events(data_dir, database_url, start_time, end_time, user, event_name, error_code, read_only, max_items,
           output):
    """Recorded API calls matching the filters, oldest first."""
    from ..store import audit as rows
    since, until = _time(start_time, "--start-time"), _time(end_time, "--end-time")
    store = _open(data_dir, database_url)
    try:
        found = store.run(lambda tx: rows.find(tx, since=since, until=until, user=user, event_name=event_name,
                                               error_code=error_code, read_only=read_only, limit=max_items,
                                               newest_first=True), write=False)
    finally:
        store.dispose()
    records = [json.loads(r.record) for r in reversed(found)]
    if output == "json":
        click.echo(json.dumps({"Records": records}, indent=2, ensure_ascii=False))
    else:
        _table(records)


@audit.command()
@_db_options
@click.option("--follow", "-f", is_flag=True, help="keep printing records as calls arrive")
@click.option("--lines", "-n", default=10, show_default=True, type=click.IntRange(min=0),
              help="the last N records first")
@_output_option
def tail(data_dir, database_url, follow, lines, output):
    """The latest records; with -f, every new one as it is stored (Ctrl-C stops)."""
    from ..store import audit as rows
    store = _open(data_dir, database_url)
    seen: set[tuple[int, int]] = set()  # (row, place in the row's run) of each record shown
    last = 0

    def fresh(found) -> list[dict]:
        nonlocal last
        out = []
        for r in found:
            if (r.seq, r.sub) not in seen:
                seen.add((r.seq, r.sub))
                last = max(last, r.seq)
                out.append(json.loads(r.record))
        return out

    def show(records: list[dict]) -> None:
        if output == "json":
            for rec in records:
                sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        elif records:
            _table(records)
        sys.stdout.flush()

    try:
        recent = fresh(reversed(store.run(lambda tx: rows.find(tx, limit=TAIL_WINDOW, newest_first=True),
                                          write=False)))
        show(recent[len(recent) - lines:] if lines else [])
        while follow:
            time.sleep(TAIL_POLL)
            low = max(0, last - TAIL_WINDOW)
            show(fresh(store.run(lambda tx: rows.find(tx, after_seq=low), write=False)))
            if len(seen) > 4 * TAIL_WINDOW:
                seen.difference_update({s for s in seen if s[0] <= low})
    except KeyboardInterrupt:
        pass
    finally:
        store.dispose()
