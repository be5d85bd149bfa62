"""The IAM and STS service models from botocore, indexed for routing.

One `Operation` per action with what the parser, validator and serializer need. Loaded
once per process; botocore's JSON models are the single source of the wire format.
"""

from dataclasses import dataclass, field
from functools import lru_cache

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

SERVICES = {"iam": "2010-05-08", "sts": "2011-06-15"}


@dataclass(frozen=True)
class Operation:
    name: str
    service: str  # "iam" or "sts"
    version: str
    namespace: str
    model: OperationModel
    input_shape: Shape | None
    output_shape: Shape | None
    result_wrapper: str | None
    error_status: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    services: dict[str, ServiceModel]
    operations: dict[tuple[str, str], Operation]  # (version, action) -> op
    by_name: dict[str, Operation]
    error_status: dict[str, int]

    def find(self, action: str, version: str | None) -> Operation | None:
        if version:
            return self.operations.get((version, action))
        return self.by_name.get(action)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    session = botocore.session.get_session()
    services, operations, by_name, error_status = {}, {}, {}, {}
    for service, version in SERVICES.items():
        sm = session.get_service_model(service, api_version=version)
        services[service] = sm
        for name in sm.operation_names:
            om = sm.operation_model(name)
            for es in om.error_shapes:
                err = es.metadata.get("error", {})
                if "code" in err:
                    error_status.setdefault(err["code"], err.get("httpStatusCode", 400))
            out = om.output_shape
            op = Operation(
                name=name,
                service=service,
                version=version,
                namespace=sm.metadata["xmlNamespace"],
                model=om,
                input_shape=om.input_shape,
                output_shape=out,
                result_wrapper=out.serialization.get("resultWrapper") if out else None,
            )
            operations[(version, name)] = op
            by_name.setdefault(name, op)
    return Catalog(services, operations, by_name, error_status)
