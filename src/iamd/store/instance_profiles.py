"""Instance profiles (AIPA ids, unique per account by lowercased name) and the one role each
may hold."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from .casefold import fold
from .entity_counts import entity_count
from .paging import page
from .schema.entities import instance_profile_roles, instance_profiles, roles


class InstanceProfileRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, profile_id: str, name: str, path: str, created_at: float) -> bool:
        """Insert; False when the name is taken (case-insensitively)."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(instance_profiles).values(
                    profile_id=profile_id, account_id=self.account_id, name=name,
                    name_lower=fold(name), path=path, created_at=created_at))
        except IntegrityError:
            return False
        return True

    def get(self, name: str, lock: bool = False):
        c = instance_profiles.c
        stmt = select(instance_profiles).where(c.account_id == self.account_id, c.name_lower == fold(name))
        if lock:
            stmt = self.tx.for_update(stmt)
        return self.tx.execute(stmt).first()

    def get_by_id(self, profile_id: str):
        return self.tx.execute(select(instance_profiles)
                               .where(instance_profiles.c.profile_id == profile_id)).first()

    def list(self, path_prefix: str | None, marker: str | None, max_items: int | None):
        c = instance_profiles.c
        stmt = select(instance_profiles).where(c.account_id == self.account_id)
        if path_prefix and path_prefix != "/":
            stmt = stmt.where(c.path.startswith(path_prefix, autoescape=True))
        return page(self.tx, stmt, [c.name_lower], marker, max_items)

    def for_role(self, role_id: str, marker: str | None, max_items: int | None):
        stmt = (select(instance_profiles)
                .join(instance_profile_roles,
                      instance_profile_roles.c.profile_id == instance_profiles.c.profile_id)
                .where(instance_profile_roles.c.role_id == role_id))
        return page(self.tx, stmt, [instance_profiles.c.name_lower], marker, max_items)

    def count(self, lock: bool = False) -> int:
        """Profiles in the account; `lock` first locks the account row so that concurrent
        creators queue behind each other and the InstanceProfilesPerAccount quota holds."""
        if lock:
            self.tx.lock_account(self.account_id)
        return entity_count(self.tx, self.account_id, instance_profiles)

    def delete(self, profile_id: str) -> None:
        self.tx.execute(delete(instance_profiles).where(instance_profiles.c.profile_id == profile_id))

    # the profile's role

    def roles_of(self, profile_ids: list[str]) -> dict[str, list]:
        """Role rows per profile id, for many profiles in one query."""
        out: dict[str, list] = {pid: [] for pid in profile_ids}
        if not profile_ids:
            return out
        link = instance_profile_roles.c
        rows = self.tx.execute(select(link.profile_id, roles).join(roles, roles.c.role_id == link.role_id)
                               .where(link.profile_id.in_(profile_ids)).order_by(roles.c.name_lower)).all()
        for r in rows:
            out[r.profile_id].append(r)
        return out

    def add_role(self, profile_id: str, role_id: str) -> bool:
        """Put the role in the profile; False when the profile already holds one."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(instance_profile_roles).values(profile_id=profile_id, role_id=role_id))
        except IntegrityError:
            return False
        return True

    def remove_role(self, profile_id: str, role_id: str) -> bool:
        c = instance_profile_roles.c
        return bool(self.tx.execute(delete(instance_profile_roles).where(
            c.profile_id == profile_id, c.role_id == role_id)).rowcount)

    def count_roles(self, profile_id: str) -> int:
        return self.tx.execute(select(func.count()).select_from(instance_profile_roles)
                               .where(instance_profile_roles.c.profile_id == profile_id)).scalar()

    def count_for_role(self, role_id: str) -> int:
        return self.tx.execute(select(func.count()).select_from(instance_profile_roles)
                               .where(instance_profile_roles.c.role_id == role_id)).scalar()

    def all_for_role(self, role_id: str) -> list:
        """Every profile row holding the role (for authorization details)."""
        stmt = (select(instance_profiles)
                .join(instance_profile_roles,
                      instance_profile_roles.c.profile_id == instance_profiles.c.profile_id)
                .where(instance_profile_roles.c.role_id == role_id)
                .order_by(instance_profiles.c.name_lower))
        return self.tx.execute(stmt).all()
