"""Unit tree operations. Every operation runs a fixed number of SQL statements."""

from __future__ import annotations

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.core import audit
from lms.org.models import OrgUnit


class OrgError(ValueError):
    """A tree operation that would break the tree (cycle, unknown unit, ...)."""


def create_unit(
    session: Session,
    *,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    is_remote: bool = False,
    by: User | None = None,
) -> OrgUnit:
    unit = OrgUnit(code=code.strip(), name=name.strip(), kind=kind, parent=parent, is_remote=is_remote)
    session.add(unit)
    session.flush()  # assigns id, needed for the path
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    unit.depth = parent.depth + 1 if parent else 0
    session.flush()
    if by is not None:
        audit.record(session, "unit_created", actor_id=by.id, subject=f"unit:{unit.id}", code=unit.code)
    return unit


def subtree_units(root: OrgUnit | None) -> Select[tuple[OrgUnit]]:
    """SELECT of the units in root's subtree (the whole tree when root is None)."""
    stmt = select(OrgUnit)
    if root is not None:
        stmt = stmt.where(OrgUnit.path.startswith(root.path, autoescape=True))
    return stmt.order_by(OrgUnit.path)


def subtree_ids(root: OrgUnit) -> Select[tuple[int]]:
    return select(OrgUnit.id).where(OrgUnit.path.startswith(root.path, autoescape=True))


def ancestors(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors from the root down (one SELECT)."""
    ids = unit.ancestor_ids[:-1]
    if not ids:
        return []
    rows = session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids))).all()
    by_id = {u.id: u for u in rows}
    return [by_id[i] for i in ids if i in by_id]


def move_unit(session: Session, unit: OrgUnit, new_parent: OrgUnit | None, *, by: User | None = None) -> None:
    """Re-parent a unit and its whole subtree with one UPDATE."""
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise OrgError("cannot move a unit under itself or one of its sub-units")
    old_path = unit.path
    new_path = (new_parent.path if new_parent else "/") + f"{unit.id}/"
    depth_delta = (new_parent.depth + 1 if new_parent else 0) - unit.depth
    old_parent_id = unit.parent_id
    unit.parent_id = new_parent.id if new_parent else None
    session.flush()
    session.execute(
        update(OrgUnit)
        .where(OrgUnit.path.startswith(old_path, autoescape=True))
        .values(
            path=new_path + func.substr(OrgUnit.path, len(old_path) + 1),
            depth=OrgUnit.depth + depth_delta,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    if by is not None:
        audit.record(
            session,
            "unit_moved",
            actor_id=by.id,
            subject=f"unit:{unit.id}",
            old_parent=old_parent_id,
            new_parent=unit.parent_id,
        )


def merge_units(session: Session, source: OrgUnit, target: OrgUnit, *, by: User | None = None) -> int:
    """Merge source into target: people, scopes and child units move; source is deactivated.

    Returns the number of people moved.
    """
    if source.id == target.id or target.path.startswith(source.path):
        raise OrgError("cannot merge a unit into itself or one of its sub-units")
    moved = session.execute(
        update(User).where(User.org_unit_id == source.id).values(org_unit_id=target.id)
    ).rowcount
    session.execute(update(User).where(User.scope_unit_id == source.id).values(scope_unit_id=target.id))
    for child in list(session.scalars(select(OrgUnit).where(OrgUnit.parent_id == source.id))):
        move_unit(session, child, target)
    source.is_active = False
    session.flush()
    if by is not None:
        audit.record(
            session,
            "unit_merged",
            actor_id=by.id,
            subject=f"unit:{source.id}",
            into=target.id,
            people_moved=moved,
        )
    return moved or 0
