"""The policy documents that apply to entities: inline ones and the default versions of
attached managed policies, fetched in two queries for any set of entities."""

from sqlalchemy import and_, or_, select

from .schema.policies import inline_policies, managed_policies, policy_attachments, policy_versions


def entity_documents(tx, entities: list[tuple[str, str]]) -> list[str]:
    """Documents of every (entity_type, entity_id) given: inline first, then managed."""
    if not entities:
        return []
    ip, pa, mp, pv = inline_policies.c, policy_attachments.c, managed_policies.c, policy_versions.c
    inline = tx.execute(select(ip.document).where(or_(*(
        and_(ip.entity_type == t, ip.entity_id == i) for t, i in entities))).order_by(ip.name)).scalars().all()
    managed = tx.execute(
        select(pv.document).select_from(
            policy_attachments.join(managed_policies, mp.policy_id == pa.policy_id)
            .join(policy_versions, and_(pv.policy_id == mp.policy_id, pv.version_id == mp.default_version)))
        .where(or_(*(and_(pa.entity_type == t, pa.entity_id == i) for t, i in entities)))
        .order_by(mp.name_lower)).scalars().all()
    return [*inline, *managed]


def group_documents(tx, group_id: str) -> list[tuple[str, str, str]]:
    """(policy name, SourcePolicyType, document) of a group's inline policies, then of the
    default versions of its attached managed policies (the simulator names each one)."""
    ip, pa, mp, pv = inline_policies.c, policy_attachments.c, managed_policies.c, policy_versions.c
    inline = tx.execute(select(ip.name, ip.document).where(
        ip.entity_type == "group", ip.entity_id == group_id).order_by(ip.name)).all()
    managed = tx.execute(
        select(mp.name, mp.account_id, pv.document).select_from(
            policy_attachments.join(managed_policies, mp.policy_id == pa.policy_id)
            .join(policy_versions, and_(pv.policy_id == mp.policy_id, pv.version_id == mp.default_version)))
        .where(pa.entity_type == "group", pa.entity_id == group_id).order_by(mp.name_lower)).all()
    return [*((r.name, "group", r.document) for r in inline),
            *((r.name, "user-managed" if r.account_id else "aws-managed", r.document) for r in managed)]
