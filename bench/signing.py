"""Build raw HTTP requests for IAM operations, serialized and signed by botocore."""

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence
import botocore.session

_session = botocore.session.get_session()
_models = {s: _session.get_service_model(s) for s in ("iam", "sts")}
_serializer = create_serializer("query")


def raw_request(host: str, port: int, operation: str, params: dict, key: str, secret: str,
                service: str = "iam", region: str = "us-east-1", token: str | None = None) -> bytes:
    """`token`: an STS session token, sent as X-Amz-Security-Token."""
    op = _models[service].operation_model(operation)
    ser = _serializer.serialize_to_request(params, op)
    body = ser["body"]
    if isinstance(body, dict):
        body = percent_encode_sequence(body)
    if isinstance(body, str):
        body = body.encode()
    url = f"http://{host}:{port}/"
    req = AWSRequest(method="POST", url=url, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret, token), service, region).add_auth(req)
    lines = ["POST / HTTP/1.1", f"Host: {host}:{port}"]
    for k, v in req.headers.items():
        if k.lower() == "host":
            continue
        lines.append(f"{k}: {v}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
