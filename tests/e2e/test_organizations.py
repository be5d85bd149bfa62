"""The Organizations-related IAM operations as AWS answers an account in no organization."""

import pytest
from botocore.exceptions import ClientError

from helpers import client_of, code_status_message

NO_ORG = ("OrganizationNotFoundException", 400,
          "The request was rejected because no organization is associated with your account.")


@pytest.mark.parametrize("method", [
    "enable_organizations_root_credentials_management", "disable_organizations_root_credentials_management",
    "enable_organizations_root_sessions", "disable_organizations_root_sessions",
    "list_organizations_features"])
def test_centralized_root_access_needs_an_organization(iam, method):
    with pytest.raises(ClientError) as exc:
        getattr(iam, method)()
    assert code_status_message(exc) == NO_ORG


def test_access_report_job_fails_without_an_organization(iam):
    job = iam.generate_organizations_access_report(EntityPath="o-a1b2c3d4e5/r-f6g7h8i9j0example")["JobId"]
    assert len(job) == 36
    report = iam.get_organizations_access_report(JobId=job)
    assert report["JobStatus"] == "FAILED"
    assert report["ErrorDetails"] == {"Code": NO_ORG[0], "Message": NO_ORG[2]}
    assert report["JobCompletionDate"] >= report["JobCreationDate"]
    assert "AccessDetails" not in report


def test_access_report_unknown_job_and_bad_path(iam, unchecked_iam):
    with pytest.raises(ClientError) as exc:
        iam.get_organizations_access_report(JobId="00000000-0000-0000-0000-000000000000")
    assert code_status_message(exc)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        unchecked_iam.generate_organizations_access_report(EntityPath="not-an-organizations-path")
    assert code_status_message(exc)[:2] == ("ValidationError", 400)


def test_a_user_needs_the_permission(server, iam, user):
    me = client_of(server, iam, user())
    with pytest.raises(ClientError) as exc:
        me.list_organizations_features()
    assert code_status_message(exc)[:2] == ("AccessDenied", 403)
