"""Small account and STS settings: SetSecurityTokenServicePreferences, DecodeAuthorizationMessage."""

import pytest
from botocore.exceptions import ClientError

from helpers import code_status


def test_token_version_preference_shows_in_summary(server, server_factory):
    srv = server_factory(server.engine, extra_args=["--no-access-log"]).start()
    iam = srv.client("iam")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    with pytest.raises(ClientError) as e:
        srv.client("iam", validate=False).set_security_token_service_preferences(GlobalEndpointTokenVersion="v3")
    assert code_status(e) == ("ValidationError", 400)


def test_decode_authorization_message_refuses_what_iamd_did_not_encode(sts):
    with pytest.raises(ClientError) as e:
        sts.decode_authorization_message(EncodedMessage="not-a-message")
    assert code_status(e) == ("InvalidAuthorizationMessageException", 400)
