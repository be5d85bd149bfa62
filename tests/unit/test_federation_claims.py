"""Pure parts of web-identity federation: which claims become condition keys, and how the
issuer-key cache refetches."""

import pytest

from iamd.protocol.errors import AWSError
from iamd.service import oidc_keys
from iamd.service.web_identity import claims_context


def test_standard_claims_become_provider_keys():
    ctx = claims_context("idp.example.com/realm", {"sub": "u1", "aud": "app", "amr": ["pwd", "mfa"],
                                                   "email": "a@example.com", "repository": "o/r"})
    assert ctx == {"idp.example.com/realm:sub": "u1", "idp.example.com/realm:aud": "app",
                   "idp.example.com/realm:amr": ("pwd", "mfa"), "idp.example.com/realm:email": "a@example.com"}


def test_azp_is_the_audience_and_aud_the_original_audience():
    ctx = claims_context("accounts.example.com", {"sub": "s", "aud": "other", "azp": "client-1"})
    assert ctx["accounts.example.com:aud"] == "client-1"
    assert ctx["accounts.example.com:oaud"] == "other"


@pytest.mark.parametrize("provider", ["token.actions.githubusercontent.com", "token.actions.githubusercontent.com/octo",
                                      "ghes.example.com/_services/token"])
def test_github_issuers_map_githubs_claims(provider):
    ctx = claims_context(provider, {"sub": "repo:o/r:ref:refs/heads/main", "repository": "o/r",
                                    "repository_id": "42", "job_workflow_ref": "o/r/.github/workflows/x.yml@main",
                                    "event_name": "push"})
    assert ctx[f"{provider}:repository"] == "o/r"
    assert ctx[f"{provider}:repository_id"] == "42"
    assert f"{provider}:event_name" not in ctx  # not among the claims AWS maps


def test_key_cache_refetches_an_unknown_kid_a_bounded_number_of_times(monkeypatch):
    fetches = []

    def fake(url):
        fetches.append(url)
        if url.endswith("openid-configuration"):
            return {"jwks_uri": "https://idp.test/keys"}
        return {"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}  # not an asymmetric key
    monkeypatch.setattr(oidc_keys, "_get_json", fake)
    oidc_keys.forget()
    for _ in range(oidc_keys.MAX_REFETCHES + 5):
        with pytest.raises(AWSError) as e:
            oidc_keys.signing_key("https://idp.test", "unknown", "RS256")
        assert e.value.code == "InvalidIdentityToken"
    # one initial fetch, then at most MAX_REFETCHES refetches in the minute (two documents each)
    assert len(fetches) == 2 * (1 + oidc_keys.MAX_REFETCHES)
    oidc_keys.forget()
