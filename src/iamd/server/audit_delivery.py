"""Deliver audit records as CloudTrail delivers them: gzipped `{"Records": [...]}` files,

    DIR/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
        <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 characters>.json.gz

dated by delivery time (UTC), one file per account and region per round. A file is written
under a temporary name, synced and renamed, then its rows are marked delivered in the same
transaction that claimed them: a crash in between delivers those records again (readers of
CloudTrail logs deduplicate by eventID), never loses them.
"""

import gzip
import os
import secrets
import string
import time
from pathlib import Path

from ..store import audit as rows
from ..store.files import open_private, replace_durably

CLAIM = 5_000
_ALPHABET = string.ascii_letters + string.digits
_REGION = '"awsRegion":"'


def _region(record: str) -> str:
    i = record.find(_REGION)
    if i < 0:
        return "us-east-1"
    i += len(_REGION)
    return record[i:record.index('"', i)]


def file_path(root: Path, account: str, region: str, at: float) -> Path:
    g = time.gmtime(at)
    unique = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    stamp = time.strftime("%Y%m%dT%H%MZ", g)
    return (root / "AWSLogs" / account / "CloudTrail" / region / f"{g.tm_year:04d}" / f"{g.tm_mon:02d}"
            / f"{g.tm_mday:02d}" / f"{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz")


def _write(path: Path, records: list[str]) -> None:
    body = ('{"Records":[' + ",".join(records) + "]}").encode()
    tmp = path.with_name("." + path.name + ".tmp")
    with open_private(tmp, "wb") as f:  # records name users and keys: 0600, as the store's files
        f.write(gzip.compress(body, 6, mtime=0))
        f.flush()
        os.fsync(f.fileno())
    replace_durably(tmp, path)


def deliver(store, directory: str) -> int:
    """Write every undelivered record; the number delivered."""
    root = Path(directory)
    total = 0
    while True:
        def one_round(tx) -> int:
            claimed = rows.claim_undelivered(tx, CLAIM)
            if not claimed:
                return 0
            groups: dict[tuple[str, str], list[str]] = {}
            for r in claimed:
                groups.setdefault((r.account_id, _region(r.record)), []).append(r.record)
            now = time.time()
            for (account, region), records in groups.items():
                _write(file_path(root, account, region, now), records)
            rows.mark_delivered(tx, [r.seq for r in claimed])
            return len(claimed)
        n = store.run(one_round)
        total += n
        if n < CLAIM:
            return total
