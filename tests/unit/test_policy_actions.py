"""The operation table (policy/actions.py): one row per operation of the IAM and STS
models, each template well formed and naming parameters the operation has."""

import re

import pytest

from iamd.policy.actions import OPERATIONS, POLICY_CHANGES
from iamd.protocol.model import catalog

OPS = {op.name: op for op in catalog().by_name.values()}


def test_every_operation_of_the_models_has_a_row():
    assert sorted(OPS) == sorted(OPERATIONS)


def test_policy_changing_operations_exist():
    assert POLICY_CHANGES <= set(OPS)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_row_names_its_own_action_first_and_real_parameters(name):
    row, op = OPERATIONS[name], OPS[name]
    assert row.service == op.service
    assert row.checks[0].action == f"{op.service}:{name}"
    members = set(op.input_shape.members) if op.input_shape else set()
    for check in row.checks:
        for template in filter(None, (check.resource, check.named)):
            for placeholder in re.findall(r"\{([^}]*)\}", template):
                for part in placeholder.split("|"):
                    if part in ("path", "account", "caller", "/") or part.startswith("@"):
                        continue
                    assert part in members, (name, template, part)
        for param in check.when:
            assert param in members, (name, param)
