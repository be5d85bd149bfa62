"""Virtual MFA devices over HTTP: create (seed, QR code, tags), enable and resync with real
TOTP codes computed by pyotp from the returned seed, deactivate, delete, list, get, tags,
quotas and the DeleteUser conflict."""

import struct

import pytest
from botocore.exceptions import ClientError
from helpers import client_of, enable_mfa, error, mfa_codes


@pytest.fixture
def device(iam, name):
    def make(**kw):
        return iam.create_virtual_mfa_device(VirtualMFADeviceName=name("mfa"), **kw)["VirtualMFADevice"]
    return make


def test_create_returns_serial_seed_and_qr_png(iam, name, server):
    n = name("mfa")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=n, Path="/team/")["VirtualMFADevice"]
    assert dev["SerialNumber"] == f"arn:aws:iam::{server.account_id}:mfa/team/{n}"
    seed = dev["Base32StringSeed"]
    assert isinstance(seed, bytes) and len(seed) == 64
    assert set(seed.decode()) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    png = dev["QRCodePNG"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height and width >= 100
    assert "Tags" not in dev


def test_duplicate_path_and_name(iam, name):
    n = name("mfa")
    iam.create_virtual_mfa_device(VirtualMFADeviceName=n)
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=n)
    assert error(e) == ("EntityAlreadyExists", "MFA device already exists.", 409)
    iam.create_virtual_mfa_device(VirtualMFADeviceName=n, Path="/other/")


def test_name_longer_than_226_is_invalid(iam):
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="m" * 227)
    assert error(e)[0] == "ValidationError" and "virtualMFADeviceName" in error(e)[1]


def test_tags_are_case_sensitive(iam, device):
    dev = device(Tags=[{"Key": "Costcenter", "Value": "1"}])
    serial = dev["SerialNumber"]
    assert dev["Tags"] == [{"Key": "Costcenter", "Value": "1"}]
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "costcenter", "Value": "2"}])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [
        {"Key": "Costcenter", "Value": "1"}, {"Key": "costcenter", "Value": "2"}]
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["Costcenter"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "costcenter", "Value": "2"}]
    page = iam.list_mfa_device_tags(SerialNumber=serial, MaxItems=1)
    assert page["IsTruncated"] is False and len(page["Tags"]) == 1


def test_tag_operations_on_unknown_device(iam, server):
    serial = f"arn:aws:iam::{server.account_id}:mfa/nobody-here"
    message = f"VirtualMFADevice with serial number {serial} doesn't exist."
    for call, kw in ((iam.tag_mfa_device, {"Tags": [{"Key": "k", "Value": "v"}]}),
                     (iam.untag_mfa_device, {"TagKeys": ["k"]}), (iam.list_mfa_device_tags, {})):
        with pytest.raises(ClientError) as e:
            call(SerialNumber=serial, **kw)
        assert error(e) == ("NoSuchEntity", message, 404)


def test_enable_list_get_deactivate_delete(iam, device, user):
    dev, n = device(), user()
    serial = dev["SerialNumber"]
    enable_mfa(iam, n, dev)
    listed = iam.list_mfa_devices(UserName=n)
    assert [d["SerialNumber"] for d in listed["MFADevices"]] == [serial]
    assert listed["MFADevices"][0]["UserName"] == n and listed["IsTruncated"] is False
    got = iam.get_mfa_device(UserName=n, SerialNumber=serial)
    assert got["SerialNumber"] == serial and got["UserName"] == n
    assert got["EnableDate"] == listed["MFADevices"][0]["EnableDate"]
    assigned = {d["SerialNumber"]: d for d in iam.get_paginator("list_virtual_mfa_devices")
                .paginate(AssignmentStatus="Assigned").build_full_result()["VirtualMFADevices"]}
    assert assigned[serial]["User"]["UserName"] == n and "EnableDate" in assigned[serial]
    assert "Base32StringSeed" not in assigned[serial] and "Tags" not in assigned[serial]

    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error(e) == ("DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.", 409)
    iam.deactivate_mfa_device(UserName=n, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=n)["MFADevices"] == []
    unassigned = {d["SerialNumber"]: d for d in iam.get_paginator("list_virtual_mfa_devices")
                  .paginate(AssignmentStatus="Unassigned").build_full_result()["VirtualMFADevices"]}
    assert serial in unassigned and "User" not in unassigned[serial]
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error(e) == ("NoSuchEntity", f"VirtualMFADevice with serial number {serial} doesn't exist.", 404)


def test_wrong_or_reversed_codes_are_refused(iam, device, user):
    dev, n = device(), user()
    right = mfa_codes(dev["Base32StringSeed"])
    for wrong in ({"AuthenticationCode1": "000000", "AuthenticationCode2": "000000"},
                  {"AuthenticationCode1": right["AuthenticationCode2"],
                   "AuthenticationCode2": right["AuthenticationCode1"]},
                  mfa_codes(dev["Base32StringSeed"], offset=-3600)):
        with pytest.raises(ClientError) as e:
            iam.enable_mfa_device(UserName=n, SerialNumber=dev["SerialNumber"], **wrong)
        assert error(e) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    assert iam.list_mfa_devices(UserName=n)["MFADevices"] == []


def test_enable_tolerates_small_clock_drift(iam, device, user):
    dev, n = device(), user()
    enable_mfa(iam, n, dev, offset=-60)
    assert len(iam.list_mfa_devices(UserName=n)["MFADevices"]) == 1


def test_device_in_use_cannot_be_enabled_again(iam, device, user):
    dev, first, second = device(), user(), user()
    enable_mfa(iam, first, dev)
    for n in (first, second):
        with pytest.raises(ClientError) as e:
            enable_mfa(iam, n, dev)
        assert error(e) == ("EntityAlreadyExists", "MFA Device is already in use.", 409)


def test_enable_unknown_user_or_device(iam, device, user, name, server):
    dev, n = device(), user()
    ghost = name("ghost")
    with pytest.raises(ClientError) as e:
        enable_mfa(iam, ghost, dev)
    assert error(e) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)
    missing = {"SerialNumber": f"arn:aws:iam::{server.account_id}:mfa/{ghost}",
               "Base32StringSeed": dev["Base32StringSeed"]}
    with pytest.raises(ClientError) as e:
        enable_mfa(iam, n, missing)
    assert error(e)[0] == "NoSuchEntity"


def test_resync(iam, device, user):
    dev, n = device(), user()
    enable_mfa(iam, n, dev)
    serial, seed = dev["SerialNumber"], dev["Base32StringSeed"]
    ahead = mfa_codes(seed, offset=30)
    iam.resync_mfa_device(UserName=n, SerialNumber=serial, **ahead)
    with pytest.raises(ClientError) as e:  # a code is never accepted twice
        iam.resync_mfa_device(UserName=n, SerialNumber=serial, **ahead)
    assert error(e) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    iam.resync_mfa_device(UserName=n, SerialNumber=serial, **mfa_codes(seed, offset=330))  # a device 5 min fast
    # Resync now looks around the measured drift: 10 more minutes ahead is still in reach.
    iam.resync_mfa_device(UserName=n, SerialNumber=serial, **mfa_codes(seed, offset=900))
    with pytest.raises(ClientError) as e:
        iam.resync_mfa_device(UserName=n, SerialNumber=serial, **mfa_codes(seed, offset=-3600))
    assert error(e)[0] == "InvalidAuthenticationCode"


def test_resync_and_deactivate_need_the_owner(iam, device, user):
    dev, owner, other = device(), user(), user()
    enable_mfa(iam, owner, dev)
    with pytest.raises(ClientError) as e:
        iam.resync_mfa_device(UserName=other, SerialNumber=dev["SerialNumber"],
                              **mfa_codes(dev["Base32StringSeed"], offset=30))
    assert error(e) == ("NoSuchEntity", "MFA Device invalid for user.", 404)
    for call in (iam.deactivate_mfa_device, iam.get_mfa_device):
        with pytest.raises(ClientError) as e:
            call(UserName=other, SerialNumber=dev["SerialNumber"])
        assert error(e) == ("NoSuchEntity", "MFA Device invalid for user.", 404)


def test_caller_is_the_default_user(iam, device, user, server):
    dev, n = device(), user()
    enable_mfa(iam, n, dev)
    me = client_of(server, iam, n, allow=("iam:ListMFADevices", "iam:GetMFADevice", "iam:DeactivateMFADevice"))
    assert [d["SerialNumber"] for d in me.list_mfa_devices()["MFADevices"]] == [dev["SerialNumber"]]
    assert me.get_mfa_device(SerialNumber=dev["SerialNumber"])["UserName"] == n
    me.deactivate_mfa_device(SerialNumber=dev["SerialNumber"])
    assert me.list_mfa_devices()["MFADevices"] == []


def test_eight_devices_per_user(iam, device, user):
    n = user()
    devices = [device() for _ in range(9)]
    for dev in devices[:8]:
        enable_mfa(iam, n, dev)
    with pytest.raises(ClientError) as e:
        enable_mfa(iam, n, devices[8])
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for MFADevicesPerUser: 8", 409)
    listed, marker = [], None
    while True:
        page = iam.list_mfa_devices(UserName=n, MaxItems=3, **({"Marker": marker} if marker else {}))
        listed += [d["SerialNumber"] for d in page["MFADevices"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert listed == sorted(d["SerialNumber"] for d in devices[:8])


def test_list_virtual_pages_without_loss(iam, device):
    made = {device()["SerialNumber"] for _ in range(5)}
    seen = []
    for page in iam.get_paginator("list_virtual_mfa_devices").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["VirtualMFADevices"]) <= 2
        seen += [d["SerialNumber"] for d in page["VirtualMFADevices"]]
    assert len(seen) == len(set(seen)) and made <= set(seen)


def test_delete_user_conflicts_while_a_device_is_enabled(iam, device, user):
    dev, n = device(), user()
    enable_mfa(iam, n, dev)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=n)
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete MFA device first.", 409)
    iam.deactivate_mfa_device(UserName=n, SerialNumber=dev["SerialNumber"])
    iam.delete_user(UserName=n)
