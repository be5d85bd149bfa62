"""AWS wire quirks that the models do not state, kept as data in one place."""

# Shapes whose string values AWS returns percent-encoded (RFC 3986); botocore unquotes
# and JSON-decodes every member of these shapes (handlers.json_decode_policies).
URL_ENCODED_SHAPES = frozenset({"policyDocumentType"})

# The characters left as they are when percent-encoding a policy document.
URL_ENCODE_SAFE = "-_.~"

# Operations that arrive unsigned: the token or assertion in the input is the proof.
UNSIGNED_OPERATIONS = frozenset({"AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})

# Prefixes of actions that only read: they run in a read transaction.
READ_ONLY_PREFIXES = ("Get", "List", "Simulate", "Decode")
# ...except these, which write despite their names: a delegation trade-in token is
# exchanged once; GetWebIdentityToken rotates the issuer's key.
WRITES_DESPITE_NAME = frozenset({"GetDelegatedAccessToken", "GetWebIdentityToken"})
# ...and these read despite theirs: they mint stateless credentials (CloudTrail records
# them readOnly). Their rare writes (RoleLastUsed once a minute, an MFA code's one use)
# upgrade the read transaction; their records are queued as reads' are.
READS_DESPITE_NAME = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})
