"""`iamd account saml-providers [list|show|create|delete]`.

Providers are addressed by ARN as the API wants, or by name for convenience (looked up in
ListSAMLProviders). `show` also reads the metadata document (with defusedxml: it is
untrusted XML) to tell the IdP's entity id, expiry, sign-in URLs and signing keys.
"""

import click
from defusedxml import ElementTree
from rich.markup import escape
from rich.table import Table

from .common import CliError, common_options, iam_client, output_format
from .output import console, emit_structured, key_value_table, when

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def provider_name(arn: str) -> str:
    return arn.split(":saml-provider/", 1)[-1]


def list_providers(iam) -> list[dict]:
    return iam.list_saml_providers().get("SAMLProviderList", [])


def resolve_arn(iam, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    for p in list_providers(iam):
        if provider_name(p["Arn"]) == ref:
            return p["Arn"]
    raise CliError("NoSuchEntity", f"SAMLProvider {ref} does not exist.")


def metadata_facts(document: str) -> dict:
    """What an administrator wants to know about an IdP's SAML metadata."""
    try:
        root = ElementTree.fromstring(document.encode("utf-8"))
    except Exception:  # noqa: BLE001 - any parse failure just means "not readable"
        return {"readable": False}
    idp = root.find(f".//{MD}IDPSSODescriptor")
    scope = idp if idp is not None else root
    signing = [kd for kd in scope.iter(f"{MD}KeyDescriptor") if kd.get("use") in (None, "signing")]
    return {
        "readable": True,
        "entity_id": root.get("entityID"),
        "valid_until": root.get("validUntil"),
        "sso_urls": [s.get("Location") for s in scope.iter(f"{MD}SingleSignOnService") if s.get("Location")],
        "signing_certificates": sum(1 for kd in signing for _ in kd.iter(f"{DS}X509Certificate")),
    }


def render_list(providers: list[dict], fmt: str) -> None:
    rows = [{"name": provider_name(p["Arn"]), "arn": p["Arn"], "created": p.get("CreateDate"),
             "valid_until": p.get("ValidUntil")} for p in providers]
    if emit_structured(fmt, {"SAMLProviderList": providers}, ["name", "arn", "created", "valid_until"], rows):
        return
    if not providers:
        console().print("This account has no SAML providers.")
        return
    table = Table(title=f"{len(providers)} SAML provider(s)", title_justify="left")
    for c in ("name", "arn", "created", "valid until"):
        table.add_column(c, no_wrap=True)
    for r in rows:
        table.add_row(escape(r["name"]), escape(r["arn"]), when(r["created"]), when(r["valid_until"]))
    console().print(table)


def render_provider(arn: str, provider: dict, fmt: str) -> None:
    facts = metadata_facts(provider.get("SAMLMetadataDocument", ""))
    obj = {"SAMLProviderArn": arn, **provider}
    row = {"name": provider_name(arn), "arn": arn, "created": provider.get("CreateDate"),
           "valid_until": provider.get("ValidUntil"), "entity_id": facts.get("entity_id")}
    if emit_structured(fmt, obj, list(row), [row]):
        return
    pairs = [("Name", escape(provider_name(arn))), ("ARN", escape(arn)),
             ("Created", when(provider.get("CreateDate"))), ("Valid until", when(provider.get("ValidUntil")))]
    if provider.get("SAMLProviderUUID"):
        pairs.append(("UUID", provider["SAMLProviderUUID"]))
    if provider.get("AssertionEncryptionMode"):
        pairs.append(("Assertion encryption", provider["AssertionEncryptionMode"]))
    tags = provider.get("Tags") or []
    pairs.append(("Tags", escape(", ".join(f"{t['Key']}={t['Value']}" for t in tags)) or "-"))
    if facts["readable"]:
        pairs += [("IdP entity id", escape(facts["entity_id"] or "-")),
                  ("Sign-in URLs", escape(", ".join(facts["sso_urls"])) or "-"),
                  ("Signing certificates", str(facts["signing_certificates"]))]
    else:
        pairs.append(("Metadata", "not readable as XML"))
    console().print(key_value_table("SAML provider", pairs))


@click.group("saml-providers", invoke_without_command=True)
@common_options()
@click.pass_context
def saml_providers(ctx):
    """List, show, create or delete SAML identity providers (default: list)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_cmd)


@saml_providers.command("list")
@common_options()
def list_cmd():
    """List the SAML providers."""
    render_list(list_providers(iam_client()), output_format())


@saml_providers.command("show")
@click.option("--metadata", "metadata_only", is_flag=True, help="Print only the metadata document.")
@click.argument("provider")
@common_options()
def show(provider, metadata_only):
    """Show PROVIDER (an ARN or a name)."""
    iam = iam_client()
    arn = resolve_arn(iam, provider)
    response = iam.get_saml_provider(SAMLProviderArn=arn)
    if metadata_only:
        click.echo(response.get("SAMLMetadataDocument", ""))
        return
    render_provider(arn, {k: v for k, v in response.items() if k != "ResponseMetadata"}, output_format())


def parse_tags(ctx, param, values: tuple[str, ...]) -> list[dict]:
    tags = []
    for v in values:
        key, sep, value = v.partition("=")
        if not sep:
            raise click.BadParameter(f"must look like KEY=VALUE, not '{v}'.", ctx=ctx, param=param)
        tags.append({"Key": key, "Value": value})
    return tags


def read_metadata(path: str) -> str:
    """The document as text; a BOM (which IAM refuses) is dropped."""
    try:
        if path == "-":
            text = click.get_text_stream("stdin").read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise click.BadParameter(f"cannot read {path}: {reason}.", param_hint="'--metadata'") from None
    return text.removeprefix("\ufeff")


@saml_providers.command("create")
@click.argument("name")
@click.option("--metadata", "metadata", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="The IdP's SAML metadata XML file ('-' for stdin).")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", callback=parse_tags, help="Tag to add (repeatable).")
@common_options()
def create(name, metadata, tags):
    """Create a SAML provider NAME from the IdP's metadata file."""
    kwargs = {"Name": name, "SAMLMetadataDocument": read_metadata(metadata)}
    if tags:
        kwargs["Tags"] = tags
    response = iam_client().create_saml_provider(**kwargs)
    arn = response["SAMLProviderArn"]
    if not emit_structured(output_format(), {"SAMLProviderArn": arn}, ["arn"], [{"arn": arn}]):
        console().print(f"Created SAML provider {escape(arn)}")


@saml_providers.command("delete")
@click.argument("provider")
@common_options()
def delete(provider):
    """Delete PROVIDER (an ARN or a name)."""
    iam = iam_client()
    arn = resolve_arn(iam, provider)
    iam.delete_saml_provider(SAMLProviderArn=arn)
    if not emit_structured(output_format(), {"DeletedSAMLProviderArn": arn}, ["arn"], [{"arn": arn}]):
        console().print(f"Deleted SAML provider {escape(arn)}")
