"""Policy documents of a GetAccountAuthorizationDetails answer, decoded to JSON data.

Its pages share one budget across the four lists (`LISTS`), so callers merge pages list by
list. botocore already turns URL-encoded policy documents into dicts; `decode_documents`
finishes the job for any left as text (a server that did not encode, an SDK without that
handler, or the console, which reads the handler's output as the wire carries it).
"""

import json
from urllib.parse import unquote

LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
DOCUMENT_KEYS = ("PolicyDocument", "AssumeRolePolicyDocument", "Document")


def decode_document(doc):
    if isinstance(doc, str):
        for text in (doc, unquote(doc)):
            try:
                return json.loads(text)
            except ValueError:
                continue
    return doc


def decode_documents(obj):
    """A copy of obj with every policy document parsed into JSON data."""
    if isinstance(obj, dict):
        return {k: decode_document(v) if k in DOCUMENT_KEYS else decode_documents(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode_documents(v) for v in obj]
    return obj
