"""GetAccountAuthorizationDetails inside one process: where a page's time goes, page by
page, without HTTP or the machine's other load in the figures (CPU time of this thread).

    .venv/bin/python -m bench.gaad_profile seed DIR --per-kind 25000   # seed a store, keep it in DIR
    .venv/bin/python -m bench.gaad_profile walk DIR [--profile] [--walks 3]
    .venv/bin/python -m bench.gaad_profile serve DIR [DIR ...] [--walks 5]

`seed` runs a server over the API (as bench.run's gaadscale does) and keeps its data
directory; `walk` opens that store in this process and walks the account with MaxItems
1000, timing the handler (database and shaping) and the serializer of each page apart;
`serve` starts a server on a copy of each kept store (smallest first) and compares their
walks as gaadscale does (bench.gaad), so that two versions of the code can be measured on
the same data without seeding again.
"""

import argparse
import cProfile
import pstats
import shutil
import time
from pathlib import Path

from . import gaad, peers, seeding
from .run import account_of


def seed(target: Path, per_kind: int, connections: int, database_url: str | None) -> None:
    peer = peers.start_iamd(database_url, access_log=False, audit=False)
    try:
        account = account_of(peer)
        calls = seeding.create_calls(per_kind, "scale") + seeding.relation_calls(account, per_kind, "scale")
        t0 = time.perf_counter()
        for start in range(0, len(calls), seeding.BAND):
            r = seeding.send(peer, calls[start:start + seeding.BAND], connections)
            print(f"seeded {start + seeding.BAND:7d} calls, {r.rps:.0f}/s, errors {r.errors}", flush=True)
        print(f"seed: {len(calls)} calls in {time.perf_counter() - t0:.1f} s", flush=True)
    finally:
        peer.proc.terminate()
        peer.proc.wait(60)
        shutil.copytree(peer.tmp / "data", target, dirs_exist_ok=True)
        shutil.rmtree(peer.tmp, ignore_errors=True)


def walk(data_dir: Path, walks: int, profile: bool, database_url: str | None) -> None:
    from iamd.protocol.model import catalog
    from iamd.protocol.serializer import serialize_response
    from iamd.server.settings import Settings
    from iamd.server.state import AppState
    from iamd.service.registry import Context, load_handlers

    state = AppState.open(Settings(data_dir=str(data_dir), database_url=database_url))
    op = catalog().find("GetAccountAuthorizationDetails", None)
    handler = load_handlers()["GetAccountAuthorizationDetails"]
    clock = time.thread_time

    def one_walk(report: bool):
        marker, pages, size, entities = None, [], 0, 0
        while True:
            p = {"MaxItems": 1000}
            if marker:
                p["Marker"] = marker
            c0 = clock()
            out = state.store.run(lambda tx: handler(Context(tx, None, state.account_id, "us-east-1", "rid",
                                                             time.time(), state), p), write=False)
            c1 = clock()
            body = serialize_response(op, out, "rid")
            c2 = clock()
            n = sum(len(out[k]) for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"))
            entities += n
            size += len(body)
            pages.append((c1 - c0, c2 - c1, n))
            if not out["IsTruncated"]:
                break
            marker = out["Marker"]
        handle = sum(p[0] for p in pages)
        ser = sum(p[1] for p in pages)
        if report:
            print(f"walk: {entities} entities, {size / 1e6:.1f} MB, {len(pages)} pages: CPU handler {handle:.3f} s + "
                  f"serializer {ser:.3f} s = {handle + ser:.3f} s ({(handle + ser) / entities * 1e6:.1f} us/entity)")
            third = max(1, len(pages) // 3)
            for label, part in (("first", pages[:third]), ("middle", pages[third:-third]), ("last", pages[-third:])):
                if part:
                    print(f"  {label:6s} third: handler {sum(p[0] for p in part) / len(part) * 1000:6.1f} ms/page, "
                          f"serializer {sum(p[1] for p in part) / len(part) * 1000:6.1f} ms/page")
        return handle + ser

    one_walk(False)  # warm: caches, the database's pages
    for _ in range(walks):
        one_walk(True)
    if profile:
        prof = cProfile.Profile()
        prof.enable()
        one_walk(True)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    state.store.dispose()


def serve(dirs: list[Path], walks: int, database_urls: list[str], before: tuple | None = None) -> list[dict]:
    """Walk a server on a copy of each store (on PostgreSQL, `database_urls` holds each
    store's database, in the same order); with `before` (source dir, stores), also a
    server of that code on a copy of each of its stores, all taking turns."""
    started = []

    def start(d, url, src=None):
        peer = peers.start_iamd(url, data=d, src=src)
        if url:
            peer.extra["database_cpu"] = gaad.database_cpu(url)
        started.append((_entities(peer), peer))
    urls = database_urls or [None] * len(dirs)
    try:
        for d, url in zip(dirs, urls):
            start(d, url)
        if before is not None:
            src, stores = before
            for d, url in zip(stores, urls):
                start(d, url, src)
        started.sort(key=lambda s: s[0])
        return gaad.compare(started, walks)
    finally:
        for _, peer in started:
            peer.stop()


def _entities(peer) -> int:
    """Users, groups, roles and policies of the peer's account (its entity counts)."""
    from .run import client
    summary = client(peer).get_account_summary()["SummaryMap"]
    return sum(summary[k] for k in ("Users", "Groups", "Roles", "Policies"))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=("seed", "walk", "serve"))
    ap.add_argument("dir", type=Path, nargs="+")
    ap.add_argument("--per-kind", type=int, default=2500)
    ap.add_argument("--seed-connections", type=int, default=8)
    ap.add_argument("--walks", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--database-url", default=None, help="seed, walk: the store's PostgreSQL database")
    ap.add_argument("--database-urls", nargs="*", default=[], help="serve: each store's PostgreSQL database")
    ap.add_argument("--before-src", type=Path, default=None,
                    help="serve: a directory holding another version's `iamd` package (e.g. `git archive "
                         "REV src | tar -x`, then DIR/src), walked beside this one")
    ap.add_argument("--before-stores", type=Path, nargs="*", default=[],
                    help="serve: the stores for --before-src (default: the same ones)")
    args = ap.parse_args(argv)
    if args.command == "serve":
        before = (args.before_src, args.before_stores or args.dir) if args.before_src else None
        serve(args.dir, args.walks, args.database_urls, before)
    elif args.command == "seed":
        seed(args.dir[0], args.per_kind, args.seed_connections, args.database_url)
    else:
        walk(args.dir[0], args.walks, args.profile, args.database_url)


if __name__ == "__main__":
    main()
