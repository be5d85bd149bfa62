"""Group commit: a response waits for an fsync of the WAL that began after its commit, and
the commits made meanwhile share that fsync."""

import asyncio
import os
import threading

from iamd.store import group_commit
from iamd.store.group_commit import GroupCommit


def _group(tmp_path, monkeypatch, fail=False, hold=None):
    """A GroupCommit whose fsyncs are recorded (inodes); `hold`: (started, release) events
    that keep the first fsync under way until released."""
    db = tmp_path / "iamd.db"
    (tmp_path / "iamd.db-wal").write_bytes(b"frames")
    synced = []

    def fake_fsync(fd):
        if fail:
            raise OSError(5, "Input/output error")
        if hold and not synced:
            hold[0].set()
            hold[1].wait(10)
        synced.append(os.fstat(fd).st_ino)

    monkeypatch.setattr(group_commit.os, "fsync", fake_fsync)
    return GroupCommit(db), synced


def test_nothing_committed_nothing_synced(tmp_path, monkeypatch):
    group, synced = _group(tmp_path, monkeypatch)
    assert asyncio.run(group.settle()) is True
    assert synced == []


def test_commits_made_together_share_one_fsync(tmp_path, monkeypatch):
    group, synced = _group(tmp_path, monkeypatch)
    wal = os.stat(tmp_path / "iamd.db-wal").st_ino

    async def main():
        for _ in range(5):
            group.note_commit()
        return await asyncio.gather(*(group.settle() for _ in range(5)))

    assert asyncio.run(main()) == [True] * 5
    assert group.synced == 5
    assert synced.count(wal) == 1  # the WAL once, and its directory the first time


def test_a_commit_during_an_fsync_waits_for_the_next(tmp_path, monkeypatch):
    started, release = threading.Event(), threading.Event()
    group, synced = _group(tmp_path, monkeypatch, hold=(started, release))

    async def main():
        group.note_commit()
        first = asyncio.ensure_future(group.settle())
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)  # first fsync under way
        group.note_commit()
        second = asyncio.ensure_future(group.settle())
        await asyncio.sleep(0)
        assert not second.done()
        release.set()
        return await first, await second

    assert asyncio.run(main()) == (True, True)
    assert group.synced == 2
    wal = os.stat(tmp_path / "iamd.db-wal").st_ino
    assert synced.count(wal) == 2


def test_a_failed_fsync_is_not_acknowledged(tmp_path, monkeypatch):
    group, _ = _group(tmp_path, monkeypatch, fail=True)
    group.note_commit()
    assert asyncio.run(group.settle()) is False
    assert group.synced == 0
