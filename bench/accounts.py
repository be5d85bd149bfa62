"""Account-wide scenarios, timed end to end rather than in requests per second:
the credential report of 10,000 users, and GetAccountAuthorizationDetails of an account
with 10,000 users, groups, roles and policies (2,500 each, with memberships and
attachments), paged through with MaxItems 1000 (moto ignores MaxItems and answers in one
page).
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


def seed_account(iam, account_id: str, per_kind: int) -> None:
    seed_users(iam, per_kind, "gaad-user-")
    _parallel(lambda i: iam.create_group(GroupName=f"gaad-group-{i:05d}"), range(per_kind))
    _parallel(lambda i: iam.create_role(RoleName=f"gaad-role-{i:05d}", AssumeRolePolicyDocument=TRUST),
              range(per_kind))
    _parallel(lambda i: iam.create_policy(PolicyName=f"gaad-policy-{i:05d}", PolicyDocument=_policy(i)),
              range(per_kind))

    def relate(i):
        arn = f"arn:aws:iam::{account_id}:policy/gaad-policy-{i:05d}"
        iam.add_user_to_group(GroupName=f"gaad-group-{i:05d}", UserName=f"gaad-user-{i:05d}")
        iam.attach_group_policy(GroupName=f"gaad-group-{i:05d}", PolicyArn=arn)
        iam.attach_role_policy(RoleName=f"gaad-role-{i:05d}", PolicyArn=arn)
        iam.put_user_policy(UserName=f"gaad-user-{i:05d}", PolicyName="inline", PolicyDocument=_policy(i))
    _parallel(relate, range(per_kind))


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
    import re
    t0 = time.perf_counter()
    marker, size = None, 0
    while True:
        params = {"MaxItems": 1000}
        if marker:
            params["Marker"] = marker
        body = _raw_call(peer, "GetAccountAuthorizationDetails", params)
        size += len(body)
        if b"<IsTruncated>true</IsTruncated>" not in body:
            break
        marker = re.search(rb"<Marker>([^<]*)</Marker>", body).group(1).decode()
    return time.perf_counter() - t0, size
