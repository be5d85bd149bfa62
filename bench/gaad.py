"""GetAccountAuthorizationDetails walked over accounts of different sizes, each on its own
server, the walks taking turns (small, large, small, large, ...) so that a change of the
machine's load weighs on every size alike. Linear work is the same server CPU time per
entity at every size, and pages that cost the same wherever the marker points.

The figure is the server process's CPU time (its threads' time on a CPU, from
/proc/<pid>/task/*/schedstat), which the machine's other load moves far less than wall
time; wall time is reported beside it, and the time the server was runnable but waited
for a CPU that others held (on a shared machine, most of the difference).
"""

import os
from pathlib import Path

from .accounts import walk_authorization_details_raw


def database_cpu(url: str):
    """A function giving the CPU seconds so far of the PostgreSQL backends serving the
    database of `url` (on this host): on PostgreSQL the queries' work is theirs, not the
    server's. Backends that exit meanwhile take their time with them; iamd's pool keeps
    its connections."""
    import psycopg
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"

    def cpu() -> float:
        with psycopg.connect(admin, autocommit=True) as conn:
            pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
        total = 0
        for pid in pids:
            try:
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
        return total / 1e9
    return cpu


def _thirds(values: list[float]) -> list[float]:
    third = max(1, len(values) // 3)
    parts = (values[:third], values[third:-third] or values, values[-third:])
    return [sum(p) / len(p) * 1000 for p in parts]


def compare(sized: list[tuple[int, object]], walks: int, log=print) -> list[dict]:
    """`sized`: (entities, peer) in ascending size (a peer's `name` labels it). Each peer
    is walked once to warm up, then `walks` times in turn; each peer's figures are its
    walk of least CPU time; the growth is the largest size's against the smallest. A
    peer with `extra["database_cpu"]` (PostgreSQL) has the database's CPU time counted in."""
    for _, peer in sized:
        walk_authorization_details_raw(peer)
    got = {i: [] for i in range(len(sized))}
    for _ in range(walks):
        for i, (n, peer) in enumerate(sized):
            db = peer.extra.get("database_cpu") or (lambda: 0.0)
            cpu0, wait0 = peer.scheduled()
            db0 = db()
            took, size, pages, page_cpu = walk_authorization_details_raw(peer, cpu=lambda: peer.scheduled()[0])
            cpu1, wait1 = peer.scheduled()
            db1 = db()
            got[i].append((cpu1 - cpu0 + db1 - db0, took, size, pages, page_cpu, os.getloadavg()[0], wait1 - wait0,
                           db1 - db0))
    rows = []
    for i, (n, peer) in enumerate(sized):
        cpu, took, size, pages, page_cpu, load, waited, db_cpu = min(got[i])
        (head, mid, tail), (chead, cmid, ctail) = _thirds(pages), _thirds(page_cpu)
        row = {"server": peer.name, "entities": n, "cpu_s": round(cpu, 3), "cpu_us_per_entity": round(cpu / n * 1e6, 1),
               "walk_s": round(took, 3), "us_per_entity": round(took / n * 1e6, 1), "waited_for_cpu_s": round(waited, 3),
               "database_cpu_s": round(db_cpu, 3),
               "walks_cpu_s": [round(w[0], 3) for w in got[i]], "walks_s": [round(w[1], 3) for w in got[i]],
               "mb": round(size / 1e6, 1), "pages": len(pages),
               "page_cpu_ms_thirds": [round(x, 1) for x in (chead, cmid, ctail)],
               "page_ms_thirds": [round(x, 1) for x in (head, mid, tail)], "loadavg": round(load, 1)}
        rows.append(row)
        of_db = f" incl. the database's {db_cpu:.3f} s" if "database_cpu" in peer.extra else ""
        log(f"gaadscale    {peer.name:6s} {n:7d} entities, {size / 1e6:.1f} MB in {len(pages)} pages: CPU {cpu:.3f} s{of_db} "
            f"({row['cpu_us_per_entity']:.1f} us/entity; walks {', '.join(f'{w:.2f}' for w in row['walks_cpu_s'])}), "
            f"wall {took:.3f} s ({row['us_per_entity']:.1f} us/entity, of which {waited:.3f} s waiting for a CPU; "
            f"walks {', '.join(f'{w:.2f}' for w in row['walks_s'])}); page CPU ms first/middle/last third "
            f"{chead:.1f}/{cmid:.1f}/{ctail:.1f}, wall {head:.1f}/{mid:.1f}/{tail:.1f}; load {load:.1f}")
    for name in dict.fromkeys(r["server"] for r in rows):
        mine = [r for r in rows if r["server"] == name]
        if len(mine) < 2:
            continue
        for key, label in (("cpu_us_per_entity", "CPU"), ("us_per_entity", "wall")):
            growth = mine[-1][key] / mine[0][key]
            log(f"gaadscale    {name:6s} {label} per entity at {mine[-1]['entities']} vs {mine[0]['entities']}: "
                f"{growth:.2f}x (1.00x is linear)")
    return rows
