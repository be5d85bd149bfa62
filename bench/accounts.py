"""Account-wide scenarios, timed end to end rather than in requests per second:
the credential report of 10,000 users, and GetAccountAuthorizationDetails of an account
(seeded by `bench.seeding`), paged through with MaxItems 1000 (moto ignores MaxItems and
answers in one page).
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
    "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _policy(i: int) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::bucket-{i}/*"}]})


WORKERS = {"workers": 8}


def _parallel(fn, items):
    # moto's server is not safe for concurrent writes (HTML 500s): it is seeded serially.
    with ThreadPoolExecutor(WORKERS["workers"]) as pool:
        list(pool.map(fn, items))


def seed_users(iam, n: int, prefix: str = "report-user-") -> None:
    _parallel(lambda i: iam.create_user(UserName=f"{prefix}{i:05d}"), range(n))


def time_credential_report(iam) -> tuple[float, int]:
    """Seconds from GenerateCredentialReport to the report's bytes in hand; rows."""
    t0 = time.perf_counter()
    while iam.generate_credential_report()["State"] != "COMPLETE":
        time.sleep(0.02)
    content = iam.get_credential_report()["Content"]
    return time.perf_counter() - t0, content.count(b"\n")


def time_authorization_details(iam) -> tuple[float, int]:
    """Seconds to page through the whole account; entities seen."""
    t0 = time.perf_counter()
    seen, marker = 0, None
    while True:
        kw = {"MaxItems": 1000}
        if marker:
            kw["Marker"] = marker
        page = iam.get_account_authorization_details(**kw)
        seen += sum(len(page.get(k, [])) for k in ("UserDetailList", "GroupDetailList",
                                                    "RoleDetailList", "Policies"))
        if not page.get("IsTruncated"):
            break
        marker = page["Marker"]
    return time.perf_counter() - t0, seen


def _raw_call(peer, operation: str, params: dict) -> bytes:
    """One signed request over a fresh connection; the raw response body."""
    import http.client

    from .signing import raw_request
    raw = raw_request("127.0.0.1", peer.port, operation, params, peer.key, peer.secret)
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")[1:]
    headers = dict(line.split(": ", 1) for line in lines)
    conn = http.client.HTTPConnection("127.0.0.1", peer.port, timeout=600)
    conn.request("POST", "/", body=body, headers=headers)
    data = conn.getresponse().read()
    conn.close()
    return data


def time_authorization_details_raw(peer) -> tuple[float, int]:
    """Server time only: the same paging with raw HTTP, no XML parsing on the client
    (boto3's parser costs as much as either server for 10,000 entities)."""
    took, size, _ = walk_authorization_details_raw(peer)
    return took, size


def walk_authorization_details_raw(peer, max_items: int = 1000, cpu=None):
    """(seconds for the whole walk, bytes, seconds of each page) over raw HTTP; with
    `cpu` (a function giving the server's CPU seconds so far), a fourth item: the
    server's CPU seconds of each page."""
    import re
    t0 = time.perf_counter()
    marker, size, pages, page_cpu = None, 0, [], []
    while True:
        params = {"MaxItems": max_items}
        if marker:
            params["Marker"] = marker
        c0 = cpu() if cpu else 0.0
        p0 = time.perf_counter()
        body = _raw_call(peer, "GetAccountAuthorizationDetails", params)
        pages.append(time.perf_counter() - p0)
        if cpu:
            page_cpu.append(cpu() - c0)
        size += len(body)
        if b"<IsTruncated>true</IsTruncated>" not in body:
            break
        marker = re.search(rb"<Marker>([^<]*)</Marker>", body).group(1).decode()
    took = time.perf_counter() - t0
    return (took, size, pages, page_cpu) if cpu else (took, size, pages)
