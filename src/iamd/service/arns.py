"""ARNs of IAM entities: `arn:aws:iam::<account>:<kind>/<path-without-leading-slash><name>`."""

PARTITION = "aws"


def arn(account_id: str, kind: str, path: str, name: str) -> str:
    return f"arn:{PARTITION}:iam::{account_id}:{kind}{path}{name}"


def aws_policy_arn(path: str, name: str) -> str:
    return f"arn:{PARTITION}:iam::aws:policy{path}{name}"
