"""What several end-to-end modules build or check the same way, written once.

Plain functions (the fixtures are in tests/conftest.py): reading an AWS error (a boto3
ClientError or a raw response), walking Marker pages, acting as a user, the documents,
certificates and SAML metadata the tests upload, TOTP codes for virtual MFA devices, the
server's own database for what the API cannot arrange, the `iamd` command run as a user
would run it, and response bodies as sent.
"""

import base64
import functools
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pyotp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine, select, update

from iamd.service.quotas import set_quotas
from iamd.store.schema.core import accounts

# -- errors: a ClientError's parts (exc: the pytest.ExceptionInfo of pytest.raises) ----------

def code(exc) -> str:
    return exc.value.response["Error"]["Code"]


def message(exc) -> str:
    return exc.value.response["Error"]["Message"]


def status(exc) -> int:
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def error(exc) -> tuple[str, str, int]:
    return code(exc), message(exc), status(exc)


def code_status_message(exc) -> tuple[str, int, str]:
    return code(exc), status(exc), message(exc)


def code_status(exc) -> tuple[str, int]:
    return code(exc), status(exc)


def error_of(resp) -> tuple[int, str, str]:
    """(HTTP status, code, message) of an httpx response that must be an AWS ErrorResponse."""
    root = ElementTree.fromstring(resp.content)
    assert root.tag == "ErrorResponse", resp.text
    assert root.findtext("RequestId") == resp.headers["x-amzn-requestid"]
    return resp.status_code, root.findtext("Error/Code"), root.findtext("Error/Message")


# -- listings ---------------------------------------------------------------------------------

def all_pages(method, key, **kw) -> list:
    """Every item of a List* call, following Marker by hand; the last page has no Marker."""
    out, marker = [], None
    while True:
        page = method(**kw, **({"Marker": marker} if marker else {}))
        out += page[key]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            return out
        marker = page["Marker"]


# -- callers ----------------------------------------------------------------------------------

def client_of(server, iam, user_name: str, service: str = "iam", allow: tuple = (), **kw):
    """A client signed with a new access key of the user (to act as that user); `allow`:
    actions the user is granted first (on every resource), as an inline policy."""
    if allow:
        grant(iam, user_name, *allow)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return server.client(service, key["AccessKeyId"], key["SecretAccessKey"], **kw)


def grant(iam, user_name: str, *actions: str, resource: str = "*", name: str = "granted") -> None:
    """Allow the user these actions through an inline policy (replacing one of the same name)."""
    iam.put_user_policy(UserName=user_name, PolicyName=name,
                        PolicyDocument=policy_doc(list(actions), resource))


# -- policy documents -------------------------------------------------------------------------

def doc(*statements) -> str:
    """A policy document (Version 2012-10-17) of the given statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# A trust policy that lets EC2 assume the role.
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def policy_doc(action="s3:GetObject", resource="*", **extra) -> str:
    """A one-statement Allow policy."""
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]})


# -- keys and certificates --------------------------------------------------------------------

def new_rsa_key(bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def shared_rsa_key():
    """One RSA-2048 key for every certificate that needs RSA but no key of its own (each
    certificate still differs by its serial number); generating keys is the slow part."""
    return new_rsa_key()


def new_ec_key():
    return ec.generate_private_key(ec.SECP256R1())  # fast to generate, accepted like RSA


def make_certificate(key=None, cn: str = "www.example.com", *, days: int = 90, start: int = -1,
                     issuer=None, organization: str | None = None) -> tuple[str, x509.Certificate]:
    """(PEM, certificate) valid from `start` to `days` days from now, to the second;
    self-signed unless issuer=(certificate, key). Without a key: `shared_rsa_key()`."""
    key = key or shared_rsa_key()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    name = x509.Name(attrs)
    cert = (x509.CertificateBuilder().subject_name(name)
            .issuer_name(issuer[0].subject if issuer else name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=start)).not_valid_after(now + timedelta(days=days))
            .sign(issuer[1] if issuer else key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode(), cert


def certificate_pem(key=None, cn: str = "www.example.com", **kw) -> str:
    return make_certificate(key, cn, **kw)[0]


def key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


# -- SAML IdP metadata ------------------------------------------------------------------------

SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ENTITY_ID = "http://www.okta.example.com/exk1fcia6d6EMsf331t7"
_IDP_SSO = """  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="{protocol}">
{keys}    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
                            Location="https://idp.example.com/sso"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
                            Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
"""
_SIGNING_KEY = """    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{cert}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
"""
_NO_IDP = ('  <md:Organization><md:OrganizationName xml:lang="en">Example</md:OrganizationName>'
           '<md:OrganizationDisplayName xml:lang="en">Example</md:OrganizationDisplayName>'
           '<md:OrganizationURL xml:lang="en">https://example.com</md:OrganizationURL></md:Organization>\n')


@functools.cache
def idp_signing_certificate() -> str:
    """Base64 DER of a self-signed RSA-2048 IdP signing certificate."""
    _, cert = make_certificate(new_rsa_key(), "idp.example.com", organization="Example IdP", days=3650)
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def saml_metadata(cert: str | None = None, valid_until: str | None = None, *, entity_id: str = ENTITY_ID,
                  root: str = "md:EntityDescriptor", keys: str | None = None, protocol: str = SAML2_PROTOCOL,
                  idp: bool = True) -> str:
    """SAML 2.0 IdP metadata as an IdP exports it, signing with `cert` (base64 DER; default
    `idp_signing_certificate()`); `root`, `keys`, `protocol` and `idp` make it wrong in one
    way at a time."""
    attrs = f' validUntil="{valid_until}"' if valid_until else ""
    if keys is None:
        keys = _SIGNING_KEY.format(cert=idp_signing_certificate() if cert is None else cert)
    body = _IDP_SSO.format(protocol=protocol, keys=keys) if idp else _NO_IDP
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{root} xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'entityID="{entity_id}"{attrs}>\n{body}</{root}>\n')


# -- virtual MFA devices ----------------------------------------------------------------------

def mfa_codes(seed: bytes, offset: float = 0.0) -> dict:
    """Two consecutive codes: the previous 30-second step's and the current one's."""
    totp, now = pyotp.TOTP(seed.decode()), time.time() + offset
    return {"AuthenticationCode1": totp.at(now - 30), "AuthenticationCode2": totp.at(now)}


def enable_mfa(iam, user_name: str, device: dict, offset: float = 0.0) -> None:
    """Enable a device from CreateVirtualMFADevice for a user, with codes from its seed."""
    iam.enable_mfa_device(UserName=user_name, SerialNumber=device["SerialNumber"],
                          **mfa_codes(device["Base32StringSeed"], offset))


# -- the server's own database, for what the API cannot arrange ------------------------------

def db(server):
    """A SQLAlchemy engine on the server's database; dispose of it when done."""
    if server.database_url:
        return create_engine(server.database_url.replace("postgresql://", "postgresql+psycopg://"))
    return create_engine(f"sqlite:///{server.data_dir / 'iamd.db'}", connect_args={"timeout": 30})


@contextmanager
def quota_override(server, **quotas):
    """Per-account quota overrides for the duration (merged into accounts.settings as
    `iamd serve --quota` does), the account's settings restored afterwards. The server
    reads them on every request."""
    engine = db(server)
    where = accounts.c.account_id == server.account_id
    try:
        with engine.begin() as conn:
            saved = conn.execute(select(accounts.c.settings).where(where)).scalar()
            set_quotas(conn, server.account_id, quotas)
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(update(accounts).where(where).values(settings=saved))
        engine.dispose()


def bulk_users(account_id: str, count: int, now: float) -> list[dict]:
    """users rows u00000, u00001, … (ids AIDABIG…), to fill a server straight through its
    database."""
    return [{"user_id": f"AIDABIG{i:014d}", "account_id": account_id, "name": f"u{i:05d}",
             "name_lower": f"u{i:05d}", "path": "/", "created_at": now + i} for i in range(count)]


# -- commands ---------------------------------------------------------------------------------

def client_env(server) -> dict:
    """The environment of a client process: this one's without any AWS_ setting (and never
    the machine's ~/.aws), plus the server's endpoint and root credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    env.update(server.env_for_clients())
    return env


def wait_for_port(port: int, timeout: float = 20) -> None:
    """Return once something accepts connections on 127.0.0.1:`port`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


def wait_for(fn, what: str, timeout: float = 20.0):
    """fn() until it returns something truthy (e.g. audit records, written within a second
    or so), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            assert got, f"no {what} after {timeout:g} s"
            return got
        time.sleep(0.2)


def run_iamd(*args, **kw) -> subprocess.CompletedProcess:
    """`iamd ARGS` in a subprocess, its output captured as text."""
    return subprocess.run([sys.executable, "-m", "iamd.cli.main", *args], capture_output=True, text=True, **kw)


def store_args(server) -> list[str]:
    """The options that point an operator's command (`iamd accounts`, `audit`,
    `root-password`) at a test server's store."""
    return ["--data-dir", str(server.data_dir)] + (["--database-url", server.database_url]
                                                   if server.database_url else [])


def new_account(server, alias: str | None = None) -> tuple[str, str, str]:
    """`iamd accounts create` on the server's store: (account id, root access key, secret)."""
    import configparser
    made = run_iamd("accounts", "create", *(["--alias", alias] if alias else []), *store_args(server))
    assert made.returncode == 0, made.stderr
    account = made.stdout.split()[0]
    profile = configparser.ConfigParser()
    profile.read(server.data_dir / "credentials")
    return account, profile[account]["aws_access_key_id"], profile[account]["aws_secret_access_key"]


def run_account_cli(server, *args, env=None, input=None) -> subprocess.CompletedProcess:
    """`iamd account ARGS` as a user runs it, configured by environment variables only; a
    None in `env` removes that variable."""
    e = {**client_env(server), "NO_COLOR": "1", **(env or {})}
    return run_iamd("account", *args, env={k: v for k, v in e.items() if v is not None}, input=input,
                    timeout=120)


def ok(result) -> str:
    """The stdout of a command that must have succeeded."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def one_error_line(result, error_code: str) -> str:
    """The one stderr line of a command that must have failed with `error: CODE: …`."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {error_code}: "), lines[0]
    return lines[0]


# -- responses as sent ------------------------------------------------------------------------

@contextmanager
def response_bodies(client, operation: str):
    """The XML bodies of `operation`'s responses while the block runs, as sent on the wire
    (to see documents before botocore decodes them)."""
    bodies = []

    def keep(http_response, **_):
        bodies.append(http_response.content.decode())
    event = f"after-call.{client.meta.service_model.service_name}.{operation}"
    client.meta.events.register(event, keep)
    try:
        yield bodies
    finally:
        client.meta.events.unregister(event, keep)


# -- the browser ------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"  # Debian's, installed by `make install`; no browser download here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def chromium_browser():
    """Headless Chromium driven by Playwright, for the tests of pages."""
    from pathlib import Path
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
