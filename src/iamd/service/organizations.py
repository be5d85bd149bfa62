"""The Organizations-related IAM operations, answered as AWS answers an account that belongs
to no organization (every account iamd hosts: iamd models no AWS Organizations).

Centralized root access (Enable/Disable OrganizationsRootCredentialsManagement and
OrganizationsRootSessions, ListOrganizationsFeatures) needs an organization: each answers
`OrganizationNotFoundException` (400) in the words of the model's error shape.
GenerateOrganizationsAccessReport starts a job as AWS does (its only modelled error is the
concurrency limit); the job fails, and GetOrganizationsAccessReport reports it FAILED with
the same error in `ErrorDetails`. An unknown JobId is NoSuchEntity.
"""

import uuid

from ..protocol.errors import AWSError
from ..store.delegation import DelegationRepo
from .registry import operation

NO_ORGANIZATION = ("OrganizationNotFoundException",
                   "The request was rejected because no organization is associated with your account.")


def _no_organization(ctx, p):
    raise AWSError(*NO_ORGANIZATION)


for _name in ("EnableOrganizationsRootCredentialsManagement", "DisableOrganizationsRootCredentialsManagement",
              "EnableOrganizationsRootSessions", "DisableOrganizationsRootSessions",
              "ListOrganizationsFeatures"):
    operation(_name)(_no_organization)


@operation("GenerateOrganizationsAccessReport")
def generate_organizations_access_report(ctx, p):
    job_id = str(uuid.uuid4())
    DelegationRepo(ctx.tx).add_report(job_id, ctx.account_id, p["EntityPath"], ctx.now)
    return {"JobId": job_id}


@operation("GetOrganizationsAccessReport")
def get_organizations_access_report(ctx, p):
    job = DelegationRepo(ctx.tx).report(p["JobId"], ctx.account_id)
    if job is None:
        raise AWSError("NoSuchEntity", f"Report job {p['JobId']} does not exist.")
    code, message = NO_ORGANIZATION
    return {"JobStatus": "FAILED", "JobCreationDate": job.created_at, "JobCompletionDate": job.created_at,
            "IsTruncated": False, "ErrorDetails": {"Code": code, "Message": message}}
