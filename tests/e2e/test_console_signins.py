"""Console sign-ins and actions as the server keeps them, over HTTP without a browser.

Failed sign-ins are counted in the database, so an iamd with `--workers 2` throttles as
one worker does (each attempt on a new connection, which either worker may take). Every
sign-in is a ConsoleLogin record in the audit trail (CloudTrail's AwsConsoleSignIn: the
outcome, MFAUsed, LoginTo, "Failed authentication", never the password) and every
operation the console runs for its principal an AwsApiCall marked
sessionCredentialFromConsole, read back with `iamd audit events`.
"""

import json
import re
import time

import httpx
import pyotp
import pytest
from helpers import enable_mfa, ok, run_iamd, store_args, wait_for

ROOT_PASSWORD = "root-Pa55word!"
PASSWORD = "Us3r-Pa55word!"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) iamd-test"


@pytest.fixture(scope="module")
def srv(server, server_factory):
    s = server_factory(server.engine, extra_args=["--workers", "2"]).start()  # the access log names each worker
    ok(run_iamd("root-password", "set", *store_args(s), input=f"{ROOT_PASSWORD}\n{ROOT_PASSWORD}\n"))
    return s


@pytest.fixture(scope="module")
def iam(srv):
    return srv.client("iam")


def browser(srv) -> httpx.Client:
    """A new client: its own connection (either worker) and cookie jar."""
    return httpx.Client(base_url=f"{srv.endpoint}/console", headers={"user-agent": BROWSER}, timeout=30)


def sign_in(c: httpx.Client, account: str, user: str | None, password: str) -> httpx.Response:
    c.get("/signin")
    form = {"csrf": c.cookies["iamd_console_signin"], "account": account, "password": password,
            "principal": "user" if user else "root", "username": user or ""}
    return c.post("/signin", data=form)


def attempt(srv, user, password, account=None) -> int:
    with browser(srv) as c:
        return sign_in(c, account or srv.account_id, user, password).status_code


def access_lines(srv) -> list[dict]:
    return [json.loads(line) for line in srv.log_path.read_text().splitlines() if line.startswith('{"rid"')]


def events(srv, *filters) -> list[dict]:
    out = run_iamd("audit", "events", "--output", "json", "--max-items", "100000", *filters, *store_args(srv),
                   timeout=60)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    return json.loads(out.stdout)["Records"]


def logins(srv, who: str, count: int = 1) -> list[dict]:
    def find():
        found = [r for r in events(srv, "--event-name", "ConsoleLogin")
                 if who in (r["userIdentity"].get("userName"), r["userIdentity"].get("arn"))]
        return found if len(found) >= count else None
    return wait_for(find, f"{count} ConsoleLogin record(s) of {who}")


def test_two_workers_share_the_throttle(srv, iam, name):
    user = name("thr")
    iam.create_user(UserName=user)
    iam.create_login_profile(UserName=user, Password=PASSWORD)
    for _ in range(5):
        assert attempt(srv, user, "wrong-password") == 401
    # With counts per worker, the worker that saw fewer than 5 failures would let the right
    # password in: try until both workers have refused it (each attempt a new connection).
    refused_by, tries = set(), 0
    while len(refused_by) < 2 and tries < 40:
        tries += 1
        assert attempt(srv, user, PASSWORD) == 429
        time.sleep(0.3)  # the access log's lines are written within a fraction of a second
        refused_by = {line["pid"] for line in access_lines(srv)
                      if line["action"] == "console POST /console/signin" and line["status"] == 429}
    assert len(refused_by) == 2, f"one worker took all {tries} connections"
    assert "PasswordLastUsed" not in iam.get_user(UserName=user)["User"]
    other = name("thr-other")  # another user from the same address is not locked out by these
    iam.create_user(UserName=other)
    iam.create_login_profile(UserName=other, Password=PASSWORD)
    assert attempt(srv, other, PASSWORD) == 303


def test_sign_ins_are_recorded_as_console_logins_without_the_password(srv, iam, name):
    user = name("rec")
    iam.create_user(UserName=user)
    arn = iam.create_login_profile(UserName=user, Password=PASSWORD) and \
        iam.get_user(UserName=user)["User"]["Arn"]
    secret_guess = f"guess-{name('pw')}"
    assert attempt(srv, user, secret_guess) == 401
    assert attempt(srv, user, PASSWORD) == 303
    assert attempt(srv, None, ROOT_PASSWORD) == 303
    failed, good = logins(srv, user, 2)
    for rec in (failed, good):
        assert (rec["eventSource"], rec["eventType"], rec["eventName"]) == \
               ("signin.amazonaws.com", "AwsConsoleSignIn", "ConsoleLogin")
        assert rec["userIdentity"]["type"] == "IAMUser" and rec["userIdentity"]["arn"] == arn
        assert rec["userIdentity"]["accountId"] == srv.account_id == rec["recipientAccountId"]
        assert rec["requestParameters"] is None and rec["userAgent"] == BROWSER
        assert rec["sourceIPAddress"] == "127.0.0.1"
        assert rec["additionalEventData"] == {"LoginTo": f"{srv.endpoint}/console/", "MobileVersion": "No",
                                              "MFAUsed": "No"}
    assert failed["responseElements"] == {"ConsoleLogin": "Failure"}
    assert failed["errorMessage"] == "Failed authentication" and "errorCode" not in failed
    assert good["responseElements"] == {"ConsoleLogin": "Success"} and "errorMessage" not in good
    (root,) = logins(srv, f"arn:aws:iam::{srv.account_id}:root")[-1:]
    assert root["userIdentity"]["type"] == "Root" and root["responseElements"] == {"ConsoleLogin": "Success"}
    # a name that is no user's is not written down: it may be a password typed in the wrong box
    assert attempt(srv, secret_guess, PASSWORD) == 401
    hidden = logins(srv, "HIDDEN_DUE_TO_SECURITY_REASONS")[-1]
    assert hidden["responseElements"] == {"ConsoleLogin": "Failure"}
    everything = run_iamd("audit", "events", "--output", "json", "--max-items", "100000", *store_args(srv),
                          timeout=60).stdout
    assert PASSWORD not in everything and ROOT_PASSWORD not in everything and secret_guess not in everything
    table = run_iamd("audit", "events", "--event-name", "ConsoleLogin", *store_args(srv), timeout=60)
    assert table.returncode == 0 and "Failed" in table.stdout  # the Error column (cut to the terminal width)


def test_mfa_sign_in_is_recorded_after_the_code(srv, iam, name):
    user = name("mfa")
    iam.create_user(UserName=user)
    iam.create_login_profile(UserName=user, Password=PASSWORD)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    enable_mfa(iam, user, device)
    with browser(srv) as c:
        assert sign_in(c, srv.account_id, user, PASSWORD).headers["location"] == "/console/signin/mfa"
        page = c.get("/signin/mfa").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        totp = pyotp.TOTP(device["Base32StringSeed"].decode())
        wrong = "000000" if totp.now() != "000000" else "111111"
        assert c.post("/signin/mfa", data={"csrf": csrf, "code": wrong}).status_code == 401
        code = totp.at(time.time() + 30)  # the next step's: enabling used the current one
        assert c.post("/signin/mfa", data={"csrf": csrf, "code": code}).status_code == 303
        assert c.get(f"/users/{user}").status_code == 403  # a read the user has no policy for
    failed, good = logins(srv, user, 2)
    assert failed["responseElements"] == {"ConsoleLogin": "Failure"} and \
        failed["additionalEventData"]["MFAUsed"] == "Yes"
    assert good["responseElements"] == {"ConsoleLogin": "Success"} and good["additionalEventData"]["MFAUsed"] == "Yes"
    (read,) = wait_for(lambda: [r for r in events(srv, "--event-name", "GetUser", "--user", user)
                                if r.get("sessionCredentialFromConsole")], "the user's console GetUser")
    assert read["userAgent"] == "signin.amazonaws.com"  # an IAM user's console
    assert read["errorCode"] == "AccessDenied"  # denials are recorded as the API's are
    assert read["userIdentity"]["type"] == "IAMUser" and read["userIdentity"]["userName"] == user
    assert read["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] == "true"


def test_console_actions_are_api_calls_from_the_console(srv, iam, name):
    made = name("made")
    with browser(srv) as c:
        assert sign_in(c, srv.account_id, None, ROOT_PASSWORD).status_code == 303
        page = c.get("/users/new").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert c.post("/users/new", data={"csrf": csrf, "name": made, "password": PASSWORD}).status_code == 200
        assert c.post(f"/users/{made}/attach", data={"csrf": csrf, "arn": "arn:aws:iam::aws:policy/NoSuchPolicy"}
                      ).status_code == 400
        started = time.time()
        assert made in c.get("/users", params={"search": made}).text  # a search, authorized as ListUsers

    def find(event):
        return [r for r in events(srv, "--event-name", event)
                if (r.get("requestParameters") or {}).get("userName") == made]
    (create,) = wait_for(lambda: find("CreateUser"), "CreateUser record")
    (profile,) = wait_for(lambda: find("CreateLoginProfile"), "CreateLoginProfile record")
    (refused,) = wait_for(lambda: find("AttachUserPolicy"), "AttachUserPolicy record")
    reads = wait_for(lambda: [r for r in events(srv, "--event-name", "GetUser")
                              if (r.get("requestParameters") or {}).get("userName") == made], "GetUser record")
    for rec in (create, profile, refused, *reads):
        assert rec["sessionCredentialFromConsole"] == "true"
        assert rec["eventType"] == "AwsApiCall" and rec["eventSource"] == "iam.amazonaws.com"
        assert rec["userAgent"] == "console.amazonaws.com"  # the root user's console, as CloudTrail says
        assert rec["userIdentity"]["type"] == "Root" and rec["sourceIPAddress"] == "127.0.0.1"
        assert rec["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert create["responseElements"]["user"]["userName"] == made
    assert profile["requestParameters"] == {"userName": made, "passwordResetRequired": False}  # no password
    assert refused["errorCode"] == "NoSuchEntity"
    assert reads[0]["readOnly"] is True
    searched = wait_for(lambda: [r for r in events(srv, "--event-name", "ListUsers", "--start-time", str(int(started)))
                                 if r.get("sessionCredentialFromConsole")], "ListUsers record of the search")
    assert searched[0]["userIdentity"]["type"] == "Root"
    # the API's own calls are not marked
    iam.get_user(UserName=made)
    api = wait_for(lambda: [r for r in events(srv, "--event-name", "GetUser")
                            if (r.get("requestParameters") or {}).get("userName") == made
                            and "sessionCredentialFromConsole" not in r], "API GetUser record")
    assert api[0]["userAgent"].startswith("Boto3/")
