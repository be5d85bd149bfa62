"""The one exception type every layer raises to answer an AWS-style error.

The HTTP status comes from the IAM/STS model when the code is modelled there, otherwise
from the table of common Query-API errors below (AWS quirks kept as data, not branches).
"""

COMMON_STATUS = {
    "AccessDenied": 403,
    "InvalidClientTokenId": 403,
    "SignatureDoesNotMatch": 403,
    "IncompleteSignature": 400,
    "MissingAuthenticationToken": 403,
    "ExpiredToken": 403,
    "RequestExpired": 400,
    "InvalidAction": 400,
    "MissingAction": 400,
    "ValidationError": 400,
    "InvalidParameterValue": 400,
    "InvalidParameterCombination": 400,
    "MissingParameter": 400,
    "InvalidQueryParameter": 400,
    "MalformedQueryString": 404,
    "NotImplemented": 501,
    "InternalFailure": 500,
    "Throttling": 400,
    "RequestEntityTooLarge": 413,
}


class AWSError(Exception):
    """An error answered in the Query error envelope."""

    def __init__(self, code: str, message: str, status: int | None = None, sender: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender

    def __repr__(self) -> str:
        return f"AWSError({self.code!r}, {self.message!r})"


def value_at(value, path: str, shown: bool = True) -> str:
    """The subject of a constraint message: `Value 'x' at 'path'`, or `Value at 'path'`
    where AWS leaves the value out: a member the model marks sensitive (passwords, private
    keys, tokens: never repeated in a message or a log line) and a whole list."""
    return f"Value '{value}' at '{path}'" if shown else f"Value at '{path}'"


def no_such_entity(message: str) -> AWSError:
    return AWSError("NoSuchEntity", message)


def already_exists(message: str) -> AWSError:
    return AWSError("EntityAlreadyExists", message)


def limit_exceeded(message: str) -> AWSError:
    return AWSError("LimitExceeded", message)


def invalid_input(message: str) -> AWSError:
    return AWSError("InvalidInput", message)


def delete_conflict(message: str) -> AWSError:
    return AWSError("DeleteConflict", message)


def validation_error(message: str) -> AWSError:
    return AWSError("ValidationError", message)
