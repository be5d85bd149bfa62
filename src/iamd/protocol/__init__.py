"""AWS Query wire format derived from botocore's service models.

`model` loads the IAM and STS models and indexes their operations, `parser` turns a form
body into an operation's input, `validate` checks it against the model's constraints,
`serializer` writes outputs and errors as the XML botocore parses.
"""
