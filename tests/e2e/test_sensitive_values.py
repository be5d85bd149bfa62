"""Secrets are never repeated: no error message or log line carries the value of a member
botocore's models mark sensitive (passwords, private keys, tokens), as AWS's messages leave
it out (`Value at 'password' failed to satisfy constraint: ...`).

The walk covers every sensitive input member of the IAM and STS models, each sent with a
value that breaks its constraints, over HTTP without client-side validation.
"""

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from helpers import code_status_message


def sensitive_members() -> list[tuple[str, str, str, dict]]:
    """(service, operation, member, shape metadata) for each sensitive input member."""
    session = botocore.session.get_session()
    found = []
    for service in ("iam", "sts"):
        model = session.get_service_model(service)
        for op in model.operation_names:
            shape = model.operation_model(op).input_shape
            for member, sub in (shape.members.items() if shape is not None else ()):
                if sub.metadata.get("sensitive"):
                    found.append((service, op, member, dict(sub.metadata)))
    return found


SENSITIVE = sensitive_members()
SECRET = "SeCrEt-Do-Not-Echo"


def offending_values(meta: dict) -> list[str]:
    """Values that each break a constraint of the member: NUL (refused everywhere), a
    character outside the pattern, a length past the maximum."""
    values = [SECRET + "\x00"]
    if "pattern" in meta:
        values.append(SECRET + "\x01")
    if "max" in meta:
        values.append(SECRET + "x" * meta["max"])
    return values


def test_the_walk_covers_the_members_named_in_the_issue():
    assert {(op, m) for _, op, m, _ in SENSITIVE} >= {
        ("CreateLoginProfile", "Password"), ("UpdateLoginProfile", "Password"),
        ("ChangePassword", "OldPassword"), ("ChangePassword", "NewPassword"),
        ("UploadServerCertificate", "PrivateKey")}


@pytest.mark.parametrize("service,op,member,meta", SENSITIVE, ids=[f"{o}.{m}" for _, o, m, _ in SENSITIVE])
def test_a_sensitive_value_is_never_echoed(server, service, op, member, meta):
    client = server.client(service, validate=False)
    subject = f"Value at '{member[0].lower() + member[1:]}' failed to satisfy constraint"
    for value in offending_values(meta):
        with pytest.raises(ClientError) as e:
            getattr(client, xform_name(op))(**{member: value})
        code, status, message = code_status_message(e)
        assert (code, status) == ("ValidationError", 400)
        assert subject in message and SECRET not in message
    assert SECRET not in server.log_path.read_text(errors="replace")


def test_the_named_operations_answer_without_the_value(server, user):
    """The four operations of the report, with realistic input: only the secret is bad."""
    iam = server.client("iam", validate=False)
    n = user()
    long_password = SECRET + "p" * 128
    calls = [
        (iam.create_login_profile, {"UserName": n, "Password": long_password}, "password"),
        (iam.update_login_profile, {"UserName": n, "Password": long_password}, "password"),
        (iam.change_password, {"OldPassword": long_password, "NewPassword": "Fine-Pass-1"}, "oldPassword"),
        (iam.change_password, {"OldPassword": "Fine-Pass-1", "NewPassword": long_password}, "newPassword"),
        (iam.upload_server_certificate, {"ServerCertificateName": n, "CertificateBody": "x",
                                         "PrivateKey": SECRET + "\x01"}, "privateKey"),
    ]
    for call, kw, path in calls:
        with pytest.raises(ClientError) as e:
            call(**kw)
        code, status, message = code_status_message(e)
        assert (code, status) == ("ValidationError", 400)
        assert message.startswith(f"1 validation error detected: Value at '{path}' failed to satisfy constraint: ")
        assert SECRET not in message
