"""Virtual MFA devices: create (seed + QR code), enable/resync with TOTP codes, deactivate,
delete, list, get, tags.

A virtual device's SerialNumber is its ARN. Its Base32 seed is shown once, at creation,
and kept encrypted with the master key so codes can be checked later. Enable and Resync
take two codes of consecutive 30-second steps (RFC 6238, as pyotp computes them) and
record the device's clock drift, so a device that runs a little fast or slow keeps working.
"""

import io
from hmac import compare_digest
from urllib.parse import quote

import pyotp
import segno

from ..protocol.errors import (AWSError, already_exists, delete_conflict, no_such_entity,
                               validation_error)
from ..protocol.validate import validation_message
from ..store.mfa import MfaRepo
from ..store.paging import listing
from ..store.tags import TagRepo
from . import arns
from .dependents import blocks_delete
from .quotas import within_quota
from .registry import operation
from .tags import add_tags, check_new_tags, tag_operations
from .users import require_user, target_user, user_shape

STEP = 30
SEED_LENGTH = 64  # Base32 characters, as AWS issues them
MAX_NAME = 226
MAX_SERIAL = 256
# Steps either side of the expected one: Enable tolerates codes a couple of minutes old
# (AWS then enables the device "out of sync"), Resync looks further to measure the drift.
ENABLE_WINDOW = 4
RESYNC_WINDOW = 20

INVALID_CODE = "Authentication code for device is not valid."
NOT_FOR_USER = "MFA Device invalid for user."


def _no_device(serial: str) -> AWSError:
    return no_such_entity(f"VirtualMFADevice with serial number {serial} doesn't exist.")


def _device(ctx, serial: str, lock: bool = False):
    row = MfaRepo(ctx.tx, ctx.account_id).get(serial, lock=lock)
    if row is None:
        raise _no_device(serial)
    return row


def _owner(ctx, p, lock: bool = False):
    """(user_id, user name) named by UserName, or of the caller; (None, None) for root."""
    if p.get("UserName") is None and ctx.caller.kind == "root":
        return None, None
    row = target_user(ctx, p, lock=lock)
    return row.user_id, row.name


def _owned_by(row, user_id: str | None) -> bool:
    return row.user_id == user_id if user_id else bool(row.root_owned)


def _consecutive(seed: str, code1: str, code2: str, center: int, window: int, after: int | None):
    """The step of `code2` when `code1`, `code2` are the codes of two consecutive steps,
    `code2`'s within `window` steps of `center` and later than `after`; else None."""
    totp = pyotp.TOTP(seed)
    for step in sorted(range(center - window, center + window + 1), key=lambda s: abs(s - center)):
        if after is not None and step <= after:
            continue
        if compare_digest(totp.generate_otp(step), code2) and compare_digest(totp.generate_otp(step - 1), code1):
            return step
    return None


def _qr_png(uri: str) -> bytes:
    out = io.BytesIO()
    segno.make(uri, micro=False).save(out, kind="png", scale=4)
    return out.getvalue()


@operation("CreateVirtualMFADevice")
def create_virtual_mfa_device(ctx, p):
    name, path = p["VirtualMFADeviceName"], p.get("Path", "/")
    serial = arns.arn(ctx.account_id, "mfa", path, name)
    errors = []
    if len(name) > MAX_NAME:
        errors.append(f"Value '{name}' at 'virtualMFADeviceName' failed to satisfy constraint: "
                      f"Member must have length less than or equal to {MAX_NAME}")
    elif len(serial) > MAX_SERIAL:
        errors.append(f"Value '{serial}' at 'serialNumber' failed to satisfy constraint: "
                      f"Member must have length less than or equal to {MAX_SERIAL}")
    if errors:
        raise validation_error(validation_message(errors))
    tags = p.get("Tags", [])
    check_new_tags(tags)
    repo = MfaRepo(ctx.tx, ctx.account_id)
    repo.lock_account()
    within_quota(ctx, "MFADevicesQuota", "MFADevices", repo.count() + 1)
    seed = pyotp.random_base32(SEED_LENGTH)
    if not repo.create(serial, name, path, ctx.app.box.encrypt(seed), ctx.now):
        raise already_exists("MFA device already exists.")
    add_tags(ctx, "mfa", serial, tags)
    # The URI the model documents: otpauth://totp/<device name>@<account>?secret=<seed>
    uri = f"otpauth://totp/{quote(name, safe='')}@{ctx.account_id}?secret={seed}"
    device = {"SerialNumber": serial, "Base32StringSeed": seed.encode(), "QRCodePNG": _qr_png(uri)}
    if tags:
        device["Tags"] = tags
    return {"VirtualMFADevice": device}


@operation("EnableMFADevice")
def enable_mfa_device(ctx, p):
    user = require_user(ctx, p["UserName"], lock=True)
    repo = MfaRepo(ctx.tx, ctx.account_id)
    row = _device(ctx, p["SerialNumber"], lock=True)
    if row.user_id or row.root_owned:
        raise already_exists("MFA Device is already in use.")
    within_quota(ctx, "MFADevicesPerUserQuota", "MFADevicesPerUser", repo.count_enabled(user.user_id) + 1)
    now_step = int(ctx.now // STEP)
    step = _consecutive(ctx.app.box.decrypt(row.seed), p["AuthenticationCode1"], p["AuthenticationCode2"],
                        now_step, ENABLE_WINDOW, None)
    if step is None:
        raise AWSError("InvalidAuthenticationCode", INVALID_CODE)
    repo.enable(row.serial, user.user_id, ctx.now, step, step - now_step)


@operation("ResyncMFADevice")
def resync_mfa_device(ctx, p):
    user = require_user(ctx, p["UserName"], lock=True)
    row = _device(ctx, p["SerialNumber"], lock=True)
    if row.user_id != user.user_id:
        raise no_such_entity(NOT_FOR_USER)
    now_step = int(ctx.now // STEP)
    step = _consecutive(ctx.app.box.decrypt(row.seed), p["AuthenticationCode1"], p["AuthenticationCode2"],
                        now_step + (row.drift or 0), RESYNC_WINDOW, row.last_counter)
    if step is None:
        raise AWSError("InvalidAuthenticationCode", INVALID_CODE)
    MfaRepo(ctx.tx, ctx.account_id).resync(row.serial, step, step - now_step)


@operation("DeactivateMFADevice")
def deactivate_mfa_device(ctx, p):
    user_id, _ = _owner(ctx, p, lock=True)
    row = _device(ctx, p["SerialNumber"], lock=True)
    if not _owned_by(row, user_id):
        raise no_such_entity(NOT_FOR_USER)
    MfaRepo(ctx.tx, ctx.account_id).deactivate(row.serial)


@operation("DeleteVirtualMFADevice")
def delete_virtual_mfa_device(ctx, p):
    row = _device(ctx, p["SerialNumber"], lock=True)
    if row.user_id or row.root_owned:
        raise delete_conflict("MFA VirtualDevice in use. Must deactivate first.")
    TagRepo(ctx.tx, ctx.account_id).remove_all("mfa", row.serial)
    MfaRepo(ctx.tx, ctx.account_id).delete(row.serial)


@operation("ListMFADevices")
def list_mfa_devices(ctx, p):
    user_id, name = _owner(ctx, p)
    rows, marker = MfaRepo(ctx.tx, ctx.account_id).list_enabled(user_id, p.get("Marker"), p.get("MaxItems"))
    items = [{"UserName": name or ctx.account_id, "SerialNumber": r.serial, "EnableDate": r.enabled_at}
             for r in rows]
    return listing(items, marker, "MFADevices")


@operation("GetMFADevice")
def get_mfa_device(ctx, p):
    user_id, name = _owner(ctx, p)
    row = _device(ctx, p["SerialNumber"])
    if not _owned_by(row, user_id):
        raise no_such_entity(NOT_FOR_USER)
    return {"UserName": name or ctx.account_id, "SerialNumber": row.serial, "EnableDate": row.enabled_at}


@operation("ListVirtualMFADevices")
def list_virtual_mfa_devices(ctx, p):
    repo = MfaRepo(ctx.tx, ctx.account_id)
    rows, marker = repo.list_virtual(p.get("AssignmentStatus", "Any"), p.get("Marker"), p.get("MaxItems"))
    owners = repo.users_by_id([r.user_id for r in rows if r.user_id])
    items = []
    for r in rows:
        item = {"SerialNumber": r.serial}
        if r.user_id in owners:
            item["User"] = user_shape(ctx, owners[r.user_id])
        if r.enabled_at is not None:
            item["EnableDate"] = r.enabled_at
        items.append(item)
    return listing(items, marker, "VirtualMFADevices")


tag_operations("MFADevice", "mfa", lambda ctx, p: _device(ctx, p["SerialNumber"]).serial)


@blocks_delete("user", "delete MFA device")
def _user_mfa_devices(ctx, user_row):
    return MfaRepo(ctx.tx, ctx.account_id).count_enabled(user_row.user_id)
