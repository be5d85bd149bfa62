"""Identity providers: SAML 2.0 and OpenID Connect."""

from sqlalchemy import Column, Float, String, Table, Text, UniqueConstraint

from . import metadata

saml_providers = Table(
    "saml_providers", metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("metadata_document", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("valid_until", Float),
    Column("settings", Text, nullable=False, default="{}"),  # JSON: assertion encryption, keys
    UniqueConstraint("account_id", "name", name="uq_saml_providers_name"),
)

oidc_providers = Table(
    "oidc_providers", metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("url", String(255), nullable=False),
    Column("client_ids", Text, nullable=False),  # JSON list, in the order added
    Column("thumbprints", Text, nullable=False),  # JSON list
    Column("created_at", Float, nullable=False),
)
