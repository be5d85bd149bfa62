"""Service-linked roles: created for an AWS service principal, deleted only through the
asynchronous DeleteServiceLinkedRole task, and otherwise unmodifiable (`ensure_modifiable`).

iamd hosts no service resources that could still use a role, so a deletion task
completes at once; its id and status are kept so GetServiceLinkedRoleDeletionStatus can
answer for it later.
"""

import json
import uuid

from ..protocol.errors import invalid_input, no_such_entity
from ..store.policies import PolicyRepo
from ..store.policy_attachments import AttachmentRepo
from ..store.roles import RoleRepo
from .arns import aws_policy_arn
from .registry import operation
from .roles import SERVICE_ROLE_PATH, delete_role_row, ensure_modifiable, full_role, insert_role, require_role

__all__ = ["ensure_modifiable", "slr_name"]

# Per service principal: the role name AWS gives its service-linked role, whether the
# service accepts a CustomSuffix, and the AWS managed policy (under policy/) the service
# attaches. Names are per service, not derivable from the principal (ecs -> ECS,
# es -> AmazonElasticsearchService); unknown services fall back to AWSServiceRoleFor + the
# principal's first label in PascalCase, with no policy.
KNOWN_SERVICES = {
    "access-analyzer.amazonaws.com":
        ("AWSServiceRoleForAccessAnalyzer", False, "service-role/AccessAnalyzerServiceRolePolicy"),
    "acm.amazonaws.com":
        ("AWSServiceRoleForCertificateManager", False, "aws-service-role/CertificateManagerServiceRolePolicy"),
    "appmesh.amazonaws.com": ("AWSServiceRoleForAppMesh", False, "aws-service-role/AWSAppMeshServiceRolePolicy"),
    "autoscaling.amazonaws.com":
        ("AWSServiceRoleForAutoScaling", True, "aws-service-role/AutoScalingServiceRolePolicy"),
    "autoscaling-plans.amazonaws.com": ("AWSServiceRoleForAutoScalingPlans_EC2AutoScaling", False,
                                        "aws-service-role/AWSAutoScalingPlansEC2AutoScalingPolicy"),
    "backup.amazonaws.com":
        ("AWSServiceRoleForBackup", False, "aws-service-role/AWSBackupServiceLinkedRolePolicyForBackup"),
    "batch.amazonaws.com": ("AWSServiceRoleForBatch", False, "aws-service-role/BatchServiceRolePolicy"),
    "cloudtrail.amazonaws.com":
        ("AWSServiceRoleForCloudTrail", False, "aws-service-role/CloudTrailServiceRolePolicy"),
    "config.amazonaws.com": ("AWSServiceRoleForConfig", False, "aws-service-role/AWSConfigServiceRolePolicy"),
    "connect.amazonaws.com":
        ("AWSServiceRoleForAmazonConnect", True, "aws-service-role/AmazonConnectServiceLinkedRolePolicy"),
    "custom-resource.application-autoscaling.amazonaws.com":
        ("AWSServiceRoleForApplicationAutoScaling_CustomResource", False,
         "aws-service-role/AWSApplicationAutoScalingCustomResourcePolicy"),
    "dynamodb.application-autoscaling.amazonaws.com":
        ("AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", False,
         "aws-service-role/AWSApplicationAutoscalingDynamoDBTablePolicy"),
    "ec2.application-autoscaling.amazonaws.com":
        ("AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest", False,
         "aws-service-role/AWSApplicationAutoscalingEC2SpotFleetRequestPolicy"),
    "ecs.application-autoscaling.amazonaws.com":
        ("AWSServiceRoleForApplicationAutoScaling_ECSService", False,
         "aws-service-role/AWSApplicationAutoscalingECSServicePolicy"),
    "ecs.amazonaws.com": ("AWSServiceRoleForECS", False, "aws-service-role/AmazonECSServiceRolePolicy"),
    "eks.amazonaws.com": ("AWSServiceRoleForAmazonEKS", False, "aws-service-role/AmazonEKSServiceRolePolicy"),
    "eks-fargate.amazonaws.com":
        ("AWSServiceRoleForAmazonEKSForFargate", False, "aws-service-role/AmazonEKSForFargateServiceRolePolicy"),
    "eks-nodegroup.amazonaws.com":
        ("AWSServiceRoleForAmazonEKSNodegroup", False, "aws-service-role/AWSServiceRoleForAmazonEKSNodegroup"),
    "elasticache.amazonaws.com":
        ("AWSServiceRoleForElastiCache", False, "aws-service-role/ElastiCacheServiceRolePolicy"),
    "elasticbeanstalk.amazonaws.com":
        ("AWSServiceRoleForElasticBeanstalk", False, "aws-service-role/AWSElasticBeanstalkServiceRolePolicy"),
    "elasticfilesystem.amazonaws.com": ("AWSServiceRoleForAmazonElasticFileSystem", False,
                                        "aws-service-role/AmazonElasticFileSystemServiceRolePolicy"),
    "elasticloadbalancing.amazonaws.com": ("AWSServiceRoleForElasticLoadBalancing", False,
                                           "aws-service-role/AWSElasticLoadBalancingServiceRolePolicy"),
    "es.amazonaws.com": ("AWSServiceRoleForAmazonElasticsearchService", False,
                         "aws-service-role/AmazonElasticsearchServiceRolePolicy"),
    "guardduty.amazonaws.com":
        ("AWSServiceRoleForAmazonGuardDuty", False, "aws-service-role/AmazonGuardDutyServiceRolePolicy"),
    "kafka.amazonaws.com": ("AWSServiceRoleForKafka", False, "aws-service-role/KafkaServiceRolePolicy"),
    "lakeformation.amazonaws.com": ("AWSServiceRoleForLakeFormationDataAccess", False,
                                    "aws-service-role/LakeFormationDataAccessServiceRolePolicy"),
    "lex.amazonaws.com": ("AWSServiceRoleForLexBots", False, "aws-service-role/AmazonLexBotPolicy"),
    "lexv2.amazonaws.com": ("AWSServiceRoleForLexV2Bots", True, "aws-service-role/AmazonLexV2BotPolicy"),
    "opensearchservice.amazonaws.com": ("AWSServiceRoleForAmazonOpenSearchService", False,
                                        "aws-service-role/AmazonOpenSearchServiceRolePolicy"),
    "organizations.amazonaws.com":
        ("AWSServiceRoleForOrganizations", False, "aws-service-role/AWSOrganizationsServiceTrustPolicy"),
    "rds.amazonaws.com": ("AWSServiceRoleForRDS", False, "aws-service-role/AmazonRDSServiceRolePolicy"),
    "redshift.amazonaws.com":
        ("AWSServiceRoleForRedshift", False, "aws-service-role/AmazonRedshiftServiceLinkedRolePolicy"),
    "securityhub.amazonaws.com":
        ("AWSServiceRoleForSecurityHub", False, "aws-service-role/AWSSecurityHubServiceRolePolicy"),
    "spot.amazonaws.com": ("AWSServiceRoleForEC2Spot", False, "aws-service-role/AWSEC2SpotServiceRolePolicy"),
    "spotfleet.amazonaws.com":
        ("AWSServiceRoleForEC2SpotFleet", False, "aws-service-role/AWSEC2SpotFleetServiceRolePolicy"),
    "ssm.amazonaws.com": ("AWSServiceRoleForAmazonSSM", False, "aws-service-role/AmazonSSMServiceRolePolicy"),
    "sso.amazonaws.com": ("AWSServiceRoleForSSO", False, "aws-service-role/AWSSSOServiceRolePolicy"),
    "support.amazonaws.com": ("AWSServiceRoleForSupport", False, "aws-service-role/AWSSupportServiceRolePolicy"),
    "trustedadvisor.amazonaws.com":
        ("AWSServiceRoleForTrustedAdvisor", False, "aws-service-role/AWSTrustedAdvisorServiceRolePolicy"),
}

DELETION_SUCCEEDED = "SUCCEEDED"


def slr_name(service: str, suffix: str | None = None) -> str:
    """The role name AWS gives `service`'s service-linked role; raises InvalidInput when
    the service takes no CustomSuffix."""
    known = KNOWN_SERVICES.get(service)
    if known:
        name, suffix_allowed, _ = known
    else:
        label = service.split(".", 1)[0]
        name = "AWSServiceRoleFor" + "".join(part[:1].upper() + part[1:] for part in label.split("-"))
        suffix_allowed = True
    if suffix:
        if not suffix_allowed:
            raise invalid_input(f"Custom suffix is not allowed for {service}")
        name = f"{name}_{suffix}"
    return name


def trust_policy(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


@operation("CreateServiceLinkedRole")
def create_service_linked_role(ctx, p):
    service = p["AWSServiceName"]
    if "." not in service or not service.endswith(".amazonaws.com"):
        raise invalid_input(f"Invalid service name: {service}")
    name = slr_name(service, p.get("CustomSuffix"))
    taken = invalid_input(f"Service role name {name} has been taken in this account, "
                          f"please try a different suffix.")
    if len(name) > 64:
        raise invalid_input(f"The role name {name} is longer than 64 characters.")
    row = insert_role(ctx, name=name, path=f"{SERVICE_ROLE_PATH}{service}/", trust=trust_policy(service),
                      description=p.get("Description"), service_linked=True, taken=taken)
    _attach_service_policy(ctx, service, row.role_id)
    out = full_role(ctx, row)
    del out["RoleLastUsed"]
    return {"Role": out}


def _attach_service_policy(ctx, service: str, role_id: str) -> None:
    """Attach the managed policy the service gives its role, when the store holds it (the
    shipped catalogue is a subset; `iamd aws-policies import` loads the rest)."""
    known = KNOWN_SERVICES.get(service)
    if not known:
        return
    path, _, name = known[2].rpartition("/")
    policy = PolicyRepo(ctx.tx, ctx.account_id).get(aws_policy_arn(f"/{path}/", name))
    if policy is not None:
        AttachmentRepo(ctx.tx, ctx.account_id).attach(policy.policy_id, "role", role_id, ctx.now)


@operation("DeleteServiceLinkedRole")
def delete_service_linked_role(ctx, p):
    row = require_role(ctx, p["RoleName"], lock=True)
    if not row.service_linked:  # only service-linked roles are in this operation's scope
        raise no_such_entity(f"The role with name {p['RoleName']} cannot be found.")
    service = row.path[len(SERVICE_ROLE_PATH):].rstrip("/")
    task_id = f"task{SERVICE_ROLE_PATH}{service}/{row.name}/{uuid.uuid4()}"
    repo = RoleRepo(ctx.tx, ctx.account_id)
    repo.purge_policies(row.role_id)
    delete_role_row(ctx, row)
    repo.add_deletion(task_id, row.name, DELETION_SUCCEEDED, ctx.now)
    return {"DeletionTaskId": task_id}


@operation("GetServiceLinkedRoleDeletionStatus")
def get_service_linked_role_deletion_status(ctx, p):
    task_id = p["DeletionTaskId"]
    if not task_id.startswith(f"task{SERVICE_ROLE_PATH}"):
        raise invalid_input(f"Invalid deletion task id: {task_id}")
    task = RoleRepo(ctx.tx, ctx.account_id).get_deletion(task_id)
    if task is None:
        raise no_such_entity(f"Deletion task {task_id} cannot be found.")
    out = {"Status": task.status}
    if task.reason:
        out["Reason"] = {"Reason": task.reason}
    return out
