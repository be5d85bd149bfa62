"""Signing in and out: account, user name and password; then an MFA code; then a new
password when the old one expired or must be reset (ChangePassword, as the user)."""

import time

from . import sessions, signin
from .routes import PREFIX, PUBLIC, Denied, route
from .web import PRESIGN_COOKIE, SESSION_COOKIE


def _set_session(page, token: str, session) -> None:
    page.req.cookie(SESSION_COOKIE, token, int(session.expires_at - time.time()))
    page.req.cookie(PRESIGN_COOKIE, "", 0)


def _record(page, account: str | None, identity: dict | None, success: bool, mfa_used: bool, now: float) -> None:
    """The sign-in's ConsoleLogin record in the audit trail (none for an account no one
    hosts: there is no account to record it for)."""
    audit, req = page.app.audit, page.req
    if audit is None or account is None:
        return
    login_to = f"{'https' if req.secure else 'http'}://{req.headers.get('host', '')}{PREFIX}/"
    audit.signin(now, account, identity, req.source_ip, req.headers.get("user-agent"), success, mfa_used, login_to)


def _form(page, status: int = 200, error: str | None = None, **values):
    if page.session is None and not page.req.cookies.get(PRESIGN_COOKIE):
        token = sessions.new_token()
        page.req.cookies[PRESIGN_COOKIE] = token  # rendered into the form below
        page.req.cookie(PRESIGN_COOKIE, token, 3600)
    values.setdefault("account", page.req.query.get("account", ""))
    values.setdefault("username", "")
    values.setdefault("root", False)
    return page.render("signin.html", status, error=error, **values)


@route("GET", "/?", PUBLIC)
def home(page):
    return page.redirect("/dashboard" if page.principal else "/signin")


@route("GET", "/signin", PUBLIC)
def signin_form(page):
    if page.principal is not None:
        return page.redirect("/dashboard")
    return _form(page)


@route("POST", "/signin", PUBLIC)
def signin_submit(page):
    f, req, console = page.form, page.req, page.console
    root = f.get("principal") == "root"
    name = "" if root else f.get("username", "").strip()
    account_given = f.get("account", "").strip()
    shown = dict(account=account_given, username=name, root=root)
    if not root and not name:
        return _form(page, 400, "Enter your IAM user name.", **shown)
    now = time.time()
    throttle_user = name or "<root>"

    def check(tx):
        account = signin.account_of(tx, account_given)
        counted = account or account_given.lower()  # an unknown account is counted under what was typed
        who = signin.identity(tx, account, name) if account else None
        wait = console.throttle.retry_after(tx, counted, throttle_user, req.source_ip, now)
        if wait > 0:
            return signin.Verdict(False, f"Too many failed sign-in attempts. Wait {int(wait) + 1} seconds and "
                                         f"try again."), account, who, None
        password = f.get("password", "")
        verdict = signin.no_such_account(password) if account is None else \
            signin.check_password(tx, account, name, password, now)
        if not verdict.ok:
            if verdict.message == signin.INCORRECT:
                console.throttle.failed(tx, counted, throttle_user, req.source_ip, now)
            return verdict, account, who, None
        console.throttle.succeeded(tx, account, throttle_user, req.source_ip)
        if verdict.stage != signin.MFA:
            signin.note_use(tx, account, verdict.user_id, now)
        if page.session is not None:  # signing in again ends the session this browser had
            sessions.end(tx, page.session)
        sessions.sweep(tx, now)
        return verdict, account, who, sessions.start(tx, account, verdict.kind, verdict.user_id, verdict.stage,
                                                     req.source_ip, now)
    verdict, account, who, started = page.run(check)
    if not verdict.ok or started[1].stage != signin.MFA:  # with an MFA device: recorded after the code
        _record(page, account, who, verdict.ok, False, now)
    if not verdict.ok:
        return _form(page, 429 if verdict.message.startswith("Too many") else 401, verdict.message, **shown)
    token, session = started
    _set_session(page, token, session)
    return page.redirect({"active": "/dashboard", "mfa": "/signin/mfa",
                          "change-password": "/signin/password"}[session.stage])


def _pending(page, stage: str):
    s = page.pending
    return s if s is not None and s.stage == stage else None


@route("GET", "/signin/mfa", PUBLIC)
def mfa_form(page):
    if _pending(page, signin.MFA) is None:
        return page.redirect("/signin")
    return page.render("signin_mfa.html")


@route("POST", "/signin/mfa", PUBLIC)
def mfa_submit(page):
    s = _pending(page, signin.MFA)
    if s is None:
        return page.redirect("/signin")
    req, console = page.req, page.console
    now = time.time()
    key = s.user_id or "<root>"
    who = {}

    def check(tx):
        who.update(signin.identity(tx, s.account_id, user_id=s.user_id))
        if console.throttle.retry_after(tx, s.account_id, key, req.source_ip, now) > 0:
            return "throttled"
        if not signin.check_code(tx, console.app.state.box, s.account_id, s.user_id, page.form.get("code", ""),
                                 now):
            console.throttle.failed(tx, s.account_id, key, req.source_ip, now)
            return None
        stage = signin.after_mfa(tx, s.account_id, s.user_id, now)
        if stage is None:
            sessions.end(tx, s)
            return signin.EXPIRED_HARD
        signin.note_use(tx, s.account_id, s.user_id, now)
        return sessions.advance(tx, s, stage, req.source_ip, now)
    out = page.run(check)
    _record(page, s.account_id, who, isinstance(out, tuple), True, now)
    if out == "throttled":
        return page.render("signin_mfa.html", 429, error="Too many failed attempts. Wait and try again.")
    if out is None:
        return page.render("signin_mfa.html", 401, error=signin.BAD_CODE)
    if isinstance(out, str):
        return page.redirect("/signin")
    token, session = out
    _set_session(page, token, session)
    return page.redirect("/dashboard" if session.active else "/signin/password")


@route("GET", "/signin/password", PUBLIC)
def password_form(page):
    if _pending(page, signin.CHANGE_PASSWORD) is None:
        return page.redirect("/signin")
    return page.render("signin_password.html", forced=True)


@route("POST", "/signin/password", PUBLIC)
def password_submit(page):
    s = _pending(page, signin.CHANGE_PASSWORD)
    if s is None:
        return page.redirect("/signin")
    f = page.form
    if f.get("new", "") != f.get("confirm", ""):
        return page.render("signin_password.html", 400, forced=True, error="The new passwords do not match.")
    page.principal = page.pending_principal
    try:
        page.call("ChangePassword", OldPassword=f.get("old", ""), NewPassword=f.get("new", ""))
    except Denied as err:
        return page.render("signin_password.html", 400, forced=True, error=str(err))
    now = time.time()
    token, session = page.run(lambda tx: sessions.advance(tx, s, sessions.ACTIVE, page.req.source_ip, now))
    _set_session(page, token, session)
    return page.redirect("/dashboard", "password")


@route("POST", "/signout")
def signout(page):
    page.run(lambda tx: sessions.end(tx, page.session))
    page.req.cookie(SESSION_COOKIE, "", 0)
    return page.redirect("/signin", "signedout")
