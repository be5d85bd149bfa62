"""OpenID Connect providers over HTTP with boto3: create (URL rules, thumbprints, client
ids), get, list, client id add/remove, thumbprint update, delete, tags, and errors."""

import secrets

import pytest
from botocore.exceptions import ClientError
from helpers import code, message, status

THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


@pytest.fixture
def issuer():
    """A fresh issuer URL per call: the URL is the provider's identity."""
    return lambda path="": f"https://oidc-{secrets.token_hex(4)}.example.com{path}"


def test_create_get_list_delete(iam, issuer, server):
    url = issuer("/id/EXAMPLED539D4633E53DE1B71EXAMPLE")
    out = iam.create_open_id_connect_provider(
        Url=url, ClientIDList=["sts.amazonaws.com", "app", "app"], ThumbprintList=[THUMB.upper()],
        Tags=[{"Key": "cluster", "Value": "prod"}])
    host_path = url[len("https://"):]
    provider_arn = f"arn:aws:iam::{server.account_id}:oidc-provider/{host_path}"
    assert out["OpenIDConnectProviderArn"] == provider_arn
    assert out["Tags"] == [{"Key": "cluster", "Value": "prod"}]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    assert got["Url"] == host_path
    assert got["ClientIDList"] == ["sts.amazonaws.com", "app"]
    assert got["ThumbprintList"] == [THUMB]
    assert got["Tags"] == [{"Key": "cluster", "Value": "prod"}] and got["CreateDate"]
    assert {"Arn": provider_arn} in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB])
    assert code(e) == "EntityAlreadyExists" and status(e) == 409
    assert message(e) == f"Provider with url {url} already exists."
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    assert {"Arn": provider_arn} not in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    assert code(e) == "NoSuchEntity" and status(e) == 404
    assert message(e) == f"OpenIDConnect Provider not found for arn {provider_arn}"
    with pytest.raises(ClientError) as e:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    assert code(e) == "NoSuchEntity"
    assert message(e) == f"OpenId connect Provider {provider_arn} cannot be found."
    # The same URL can be registered again once deleted; without thumbprints it has none.
    iam.create_open_id_connect_provider(Url=url)
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    assert got["ThumbprintList"] == [] and got["ClientIDList"] == [] and got["Tags"] == []


def test_url_rules(iam, issuer):
    host = issuer()[len("https://"):]
    cases = {
        host: ("ValidationError", "Invalid Open ID Connect Provider URL"),
        "https://": ("ValidationError", "Invalid Open ID Connect Provider URL"),
        f"http://{host}": ("InvalidInput", "Invalid Open ID Connect Provider URL. The URL must begin with https://."),
        f"https://{host}?a=1": ("InvalidInput", "Invalid Open ID Connect Provider URL."),
        f"https://{host}#frag": ("InvalidInput", "Invalid Open ID Connect Provider URL."),
        f"https://{host}:8443": ("InvalidInput", "Invalid Open ID Connect Provider URL."),
        f"https://user@{host}": ("InvalidInput", "Invalid Open ID Connect Provider URL."),
        "https://exa_mple.com": ("InvalidInput", "Invalid Open ID Connect Provider URL."),
    }
    for url, (want_code, want_message) in cases.items():
        with pytest.raises(ClientError) as e:
            iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB])
        assert (code(e), message(e)) == (want_code, want_message), url
    # A trailing slash is part of the identity: two providers.
    plain = iam.create_open_id_connect_provider(Url=f"https://{host}", ThumbprintList=[THUMB])
    slashed = iam.create_open_id_connect_provider(Url=f"https://{host}/", ThumbprintList=[THUMB])
    assert plain["OpenIDConnectProviderArn"] + "/" == slashed["OpenIDConnectProviderArn"]


def test_thumbprints_and_client_ids(iam, issuer):
    provider_arn = iam.create_open_id_connect_provider(
        Url=issuer(), ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    five = [c * 40 for c in "12345"]
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=issuer(), ThumbprintList=five + ["6" * 40])
    assert code(e) == "InvalidInput" and message(e) == "Thumbprint list must contain fewer than 5 entries."
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider_arn,
                                                   ThumbprintList=five[:4] + ["A" * 40])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)["ThumbprintList"] \
        == five[:4] + ["a" * 40]
    with pytest.raises(ClientError) as e:
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider_arn,
                                                       ThumbprintList=five + ["6" * 40])
    assert code(e) == "InvalidInput"

    for _ in range(2):  # idempotent
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn, ClientID="one")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn, ClientID="two")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)["ClientIDList"] == ["one", "two"]
    for _ in range(2):  # idempotent too
        iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn, ClientID="one")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)["ClientIDList"] == ["two"]

    hundred = [f"client-{i}" for i in range(100)]
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=issuer(), ClientIDList=hundred + ["one-more"])
    assert code(e) == "LimitExceeded" and status(e) == 409
    assert message(e) == "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"
    full = iam.create_open_id_connect_provider(Url=issuer(), ClientIDList=hundred)["OpenIDConnectProviderArn"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=full, ClientID="client-7")
    with pytest.raises(ClientError) as e:
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=full, ClientID="one-more")
    assert code(e) == "LimitExceeded"


def test_missing_and_malformed_arns(iam, server):
    missing = f"arn:aws:iam::{server.account_id}:oidc-provider/nowhere-{secrets.token_hex(4)}.example.com"
    calls = {
        "get": lambda a: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=a),
        "add": lambda a: iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=a, ClientID="c"),
        "remove": lambda a: iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=a,
                                                                                ClientID="c"),
        "thumbprint": lambda a: iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=a,
                                                                               ThumbprintList=[THUMB]),
        "list tags": lambda a: iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=a),
    }
    for what, call in calls.items():
        with pytest.raises(ClientError) as e:
            call(missing)
        assert (code(e), message(e)) == ("NoSuchEntity", f"OpenIDConnect Provider not found for arn {missing}"), what
        with pytest.raises(ClientError) as e:
            call(f"arn:aws:iam::{server.account_id}:role/not-a-provider")
        assert code(e) == "InvalidInput", what
    for call in (lambda: iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=missing,
                                                          Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=missing, TagKeys=["k"])):
        with pytest.raises(ClientError) as e:
            call()
        assert (code(e), message(e)) == ("NoSuchEntity", f"OpenId connect Provider {missing} cannot be found.")


def test_tags(iam, issuer):
    provider_arn = iam.create_open_id_connect_provider(Url=issuer(), ThumbprintList=[THUMB])[
        "OpenIDConnectProviderArn"]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn,
                                     Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn, Tags=[{"Key": "a", "Value": "9"}])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider_arn)["Tags"] == [
        {"Key": "a", "Value": "9"}, {"Key": "b", "Value": "2"}]
    page = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider_arn, MaxItems=1)
    assert page["IsTruncated"] and page["Tags"] == [{"Key": "a", "Value": "9"}]
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn, TagKeys=["a", "zzz"])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)["Tags"] == [
        {"Key": "b", "Value": "2"}]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    iam.create_open_id_connect_provider(Url="https://" + provider_arn.split("oidc-provider/", 1)[1])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider_arn)["Tags"] == []
