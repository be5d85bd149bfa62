"""Seeding an account through the API, timed per band of 10,000 calls: does a write cost
more as the account grows?

The seed is the one GetAccountAuthorizationDetails is timed over: N each of users, groups,
roles and customer managed policies, then for each i user i joins group i, policy i is
attached to group i and to role i, and user i gets an inline policy. Creates are sent
interleaved by kind (user i, group i, role i, policy i, user i+1, …) so that every band
carries the same mix and the bands' rates compare directly; so are the relationship calls.

Before the seed (after 400 untimed creates to warm up) and after it, a probe of the same
create mix (`PROBE` calls, twice, each once the servers are idle) measures what a create
costs in an empty account and in the seeded one: requests per second, and the server's
CPU time per create, which the machine's other load moves less.

Requests are signed a band at a time, before the band's clock starts, and each is sent
exactly once over `connections` keep-alive connections (`loadgen.run_each`). Both servers
run at once and take turns band by band, one loaded at a time.
"""

import time

from . import loadgen
from .accounts import TRUST, _policy
from .signing import raw_request

BAND = 10_000
PROBE = 2_000


def create_calls(per_kind: int, prefix: str = "seed") -> list[tuple[str, dict]]:
    calls = []
    for i in range(per_kind):
        calls += [("CreateUser", {"UserName": f"{prefix}-user-{i:06d}"}),
                  ("CreateGroup", {"GroupName": f"{prefix}-group-{i:06d}"}),
                  ("CreateRole", {"RoleName": f"{prefix}-role-{i:06d}", "AssumeRolePolicyDocument": TRUST}),
                  ("CreatePolicy", {"PolicyName": f"{prefix}-policy-{i:06d}", "PolicyDocument": _policy(i)})]
    return calls


def relation_calls(account: str, per_kind: int, prefix: str = "seed") -> list[tuple[str, dict]]:
    calls = []
    for i in range(per_kind):
        user, group = f"{prefix}-user-{i:06d}", f"{prefix}-group-{i:06d}"
        arn = f"arn:aws:iam::{account}:policy/{prefix}-policy-{i:06d}"
        calls += [("AddUserToGroup", {"GroupName": group, "UserName": user}),
                  ("AttachGroupPolicy", {"GroupName": group, "PolicyArn": arn}),
                  ("AttachRolePolicy", {"RoleName": f"{prefix}-role-{i:06d}", "PolicyArn": arn}),
                  ("PutUserPolicy", {"UserName": user, "PolicyName": "inline", "PolicyDocument": _policy(i)})]
    return calls


def send(peer, calls: list[tuple[str, dict]], connections: int) -> loadgen.Result:
    reqs = [raw_request("127.0.0.1", peer.port, op, params, peer.key, peer.secret) for op, params in calls]
    return loadgen.run_each("127.0.0.1", peer.port, reqs, connections)


def seed(peers: list, accounts: list[str], per_kind: int, connections: int, band: int = BAND,
         log=print) -> dict[str, dict]:
    """Probe, seed in bands, probe again, on every peer; rates in calls per second.

    The peers take turns band by band (all of them up, one loaded at a time), so that a
    machine whose load drifts during the seed weighs on each of them alike.
    """
    out = {p.name: {"bands": [], "errors": 0, "calls": 0, "seconds": 0.0} for p in peers}

    def each(label, calls_of, banded=False):
        rates = {}
        for peer, account in zip(peers, accounts):
            calls = calls_of(account)
            cpu = peer.cpu_seconds()
            r = send(peer, calls, connections)
            o = out[peer.name]
            o["cpu_us"] = (peer.cpu_seconds() - cpu) / max(1, len(calls)) * 1e6
            o["errors"] += r.errors
            if banded:
                o["bands"].append({"band": label, "rps": round(r.rps, 1), "errors": r.errors})
                o["calls"] += len(calls)
                o["seconds"] += r.seconds
            rates[peer.name] = r.rps
            log(f"seeding      {peer.name:6s} {label:24s} {r.rps:8.1f} req/s  "
                f"p50 {r.percentile(0.5):6.2f} ms  errors {r.errors}  server CPU {o['cpu_us']:.0f} us/call")
        return rates

    def probe(label, prefix):
        """Two probes of PROBE creates, each once every server is idle (the seed's WAL
        checkpoint and audit batches done): the lesser CPU per create, the better rate."""
        found = {}
        for turn in ("a", "b"):
            _idle(peers)
            for name, rps in each(label, lambda a: create_calls(PROBE // 4, f"{prefix}{turn}")).items():
                cpu = out[name]["cpu_us"]
                best = found.get(name, (0.0, float("inf")))
                found[name] = (max(best[0], rps), min(best[1], cpu))
        return found

    each("warm-up", lambda a: create_calls(100, "warm"))  # connections, caches, first calls
    for name, (rps, cpu) in probe("probe (empty)", "probe-a").items():
        out[name]["probe_empty"], out[name]["probe_empty_cpu"] = rps, cpu
    for phase in ("creates", "relations"):
        length = per_kind * 4
        for start in range(0, length, band):
            end = min(start + band, length)

            def calls_of(account, phase=phase, start=start, end=end):
                calls = create_calls(per_kind) if phase == "creates" else relation_calls(account, per_kind)
                return calls[start:end]
            each(f"{phase} {start // 1000}k-{end // 1000}k", calls_of, banded=True)
    for name, (rps, cpu) in probe("probe (seeded)", "probe-b").items():
        out[name]["probe_seeded"], out[name]["probe_seeded_cpu"] = rps, cpu
    for o in out.values():
        o["rps"] = o["calls"] / o["seconds"] if o["seconds"] else 0.0
    return out


def _idle(peers, quiet: float = 0.02, most: float = 20.0) -> None:
    """Wait (at most `most` seconds) until no server used more than `quiet` of a CPU over
    half a second: what an earlier phase left running (a checkpoint, a batch of audit
    records) must not weigh on the next one's figures."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        before = [p.cpu_seconds() for p in peers]
        time.sleep(0.5)
        if all(p.cpu_seconds() - b <= quiet * 0.5 for p, b in zip(peers, before)):
            return


def report(results: dict[str, dict], log=print) -> dict:
    """Print the bands side by side; return the summary row."""
    names = list(results)
    log("seeding      " + f"{'band':24s}" + "".join(f"{n:>12s}" for n in names)
        + ("   iamd/moto" if "moto" in results else ""))
    first = results[names[0]]["bands"]
    for i, b in enumerate(first):
        rates = [results[n]["bands"][i]["rps"] for n in names]
        ratio = f"   {rates[0] / rates[1]:8.2f}x" if "moto" in results and rates[1] else ""
        log("seeding      " + f"{b['band']:24s}" + "".join(f"{r:12.1f}" for r in rates) + ratio)
    row = {}
    for n in names:
        r = results[n]
        growth = r["probe_empty"] / r["probe_seeded"] - 1 if r["probe_seeded"] else float("nan")
        # CPU per create: a checkpoint of the seed still running, or the machine's other
        # load, moves the requests per second of a short probe far more than its CPU time
        cpu_growth = r["probe_seeded_cpu"] / r["probe_empty_cpu"] - 1 if r["probe_empty_cpu"] else float("nan")
        row[n] = {"rps": round(r["rps"], 1), "errors": r["errors"], "bands": r["bands"],
                  "probe_empty_rps": round(r["probe_empty"], 1),
                  "probe_seeded_rps": round(r["probe_seeded"], 1), "create_cost_growth": round(growth, 3),
                  "create_cpu_growth": round(cpu_growth, 3)}
        log(f"seeding      {n:6s} whole seed {r['rps']:8.1f} req/s; a create costs {growth:+.1%} in the "
            f"seeded account ({r['probe_empty']:.0f} -> {r['probe_seeded']:.0f} req/s), {cpu_growth:+.1%} "
            f"of server CPU ({r['probe_empty_cpu']:.0f} -> {r['probe_seeded_cpu']:.0f} us)")
    if "moto" in row and row["moto"]["rps"]:
        row["iamd/moto"] = round(row["iamd"]["rps"] / row["moto"]["rps"], 2)
        log(f"seeding      iamd/moto = {row['iamd/moto']:.2f}x over the whole seed")
    return row
