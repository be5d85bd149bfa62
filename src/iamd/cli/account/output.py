"""Writing results: rich tables for people, JSON/YAML/CSV for scripts.

Machine formats go to stdout untouched by colour or width; everything meant only for a
person watching (spinners, progress, warnings) goes to stderr so pipes stay clean.
"""

import csv
import io
import json
import os
import re
import sys
from datetime import date, datetime, timezone

import click
import yaml
from rich.console import Console
from rich.rule import Rule
from rich.table import Table

from .common import no_color_requested

# Below a terminal (a pipe, a file, a test) rich would assume 80 columns and fold names;
# a width no table reaches keeps one entity per line there, each table at its natural
# width. Nothing is drawn to that width (rules are RULE_WIDTH wide), and no line keeps
# the blanks rich adds to fill a table's cells.
PIPE_WIDTH = 1000
RULE_WIDTH = 80
_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


class TrimmedLines(io.TextIOBase):
    """A text stream that drops each line's trailing blanks (before any colour reset) on
    the way to `target`; a line still open when flushed is passed on as it is."""

    def __init__(self, target):
        self.target = target
        self.pending = ""

    def write(self, text: str) -> int:
        done, sep, self.pending = (self.pending + text).rpartition("\n")
        if sep:
            self.target.write(_TRAILING.sub(r"\1", done) + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.target.write(self.pending)
            self.pending = ""
        self.target.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self):
        return getattr(self.target, "encoding", "utf-8")


def console(stderr: bool = False) -> Console:
    plain = no_color_requested()
    stream = sys.stderr if stderr else sys.stdout
    stream_is_tty = stream.isatty()
    width = None if os.environ.get("COLUMNS") else PIPE_WIDTH
    if stream_is_tty:
        return Console(file=stream, no_color=plain, highlight=False, color_system=None if plain else "auto",
                       soft_wrap=False)
    return Console(file=TrimmedLines(stream), no_color=plain, highlight=False, width=width,
                       color_system=None if plain else "auto", soft_wrap=False)


def rule(out: Console, title: str) -> None:
    """A section heading: a rule across a terminal, RULE_WIDTH wide anywhere else."""
    out.print(Rule(title, align="left"), width=None if out.is_terminal else min(out.width, RULE_WIDTH))


def status_console() -> Console:
    return console(stderr=True)


def plain(obj):
    """JSON/YAML-safe copy: datetimes as ISO 8601 UTC, bytes as text."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items() if k != "ResponseMetadata"}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, datetime):
        if obj.tzinfo is None:
            obj = obj.replace(tzinfo=timezone.utc)
        return obj.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    return obj


def emit_json(obj) -> None:
    click.echo(json.dumps(plain(obj), indent=2, ensure_ascii=False))


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (SAML metadata, CSV) as literal blocks, readable as written."""


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def emit_yaml(obj) -> None:
    click.echo(yaml.dump(plain(obj), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120).rstrip("\n"))


def emit_csv(columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(v) for k, v in plain(row).items()})
    click.echo(buf.getvalue(), nl=False)


def _csv_value(v):
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def emit_structured(fmt: str, obj, csv_columns: list[str] | None = None, csv_rows: list[dict] | None = None) -> bool:
    """Write obj in a machine format; False when fmt is 'table' (the caller renders)."""
    if fmt == "json":
        emit_json(obj)
    elif fmt == "yaml":
        emit_yaml(obj)
    elif fmt == "csv":
        emit_csv(csv_columns or [], csv_rows or [])
    else:
        return False
    return True


def when(value) -> str:
    """A timestamp for a table cell: UTC, to the second."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def key_value_table(title: str | None, pairs: list[tuple[str, object]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left", box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in pairs:
        table.add_row(k, v if hasattr(v, "__rich__") else str(v))
    return table
