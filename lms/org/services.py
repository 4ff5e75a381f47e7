"""Unit tree operations. Every operation runs a fixed number of SQL statements.

The tree knows no people: moving people with a merged unit is `lms.auth.services.merge_units`.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from lms.core import audit
from lms.core.audit import Actor
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
    by: Actor | None = None,
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


def code_taken(session: Session, code: str, *, exclude: OrgUnit | None = None) -> bool:
    stmt = select(OrgUnit.id).where(func.lower(OrgUnit.code) == code.strip().lower())
    if exclude is not None:
        stmt = stmt.where(OrgUnit.id != exclude.id)
    return session.scalar(stmt) is not None


def update_unit(
    session: Session,
    unit: OrgUnit,
    *,
    code: str,
    name: str,
    kind: str,
    is_remote: bool,
    by: Actor | None = None,
) -> list[str]:
    """Rename / re-code a unit (its place in the tree is unchanged); returns changed fields."""
    changed = []
    for attr, value in (
        ("code", code.strip()),
        ("name", name.strip()),
        ("kind", kind),
        ("is_remote", is_remote),
    ):
        if getattr(unit, attr) != value:
            changed.append(attr)
            setattr(unit, attr, value)
    session.flush()
    if changed and by is not None:
        audit.record(
            session, "unit_updated", actor_id=by.id, subject=f"unit:{unit.id}", fields=changed, name=unit.name
        )
    return changed


def subtree_units(root: OrgUnit | None) -> Select[tuple[OrgUnit]]:
    """SELECT of the units in root's subtree (the whole tree when root is None)."""
    stmt = select(OrgUnit)
    if root is not None:
        stmt = stmt.where(OrgUnit.within(root))
    return stmt.order_by(OrgUnit.path)


def ancestors(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors from the root down (one SELECT)."""
    ids = unit.ancestor_ids[:-1]
    if not ids:
        return []
    rows = session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids))).all()
    by_id = {u.id: u for u in rows}
    return [by_id[i] for i in ids if i in by_id]


def move_unit(
    session: Session, unit: OrgUnit, new_parent: OrgUnit | None, *, by: Actor | None = None
) -> None:
    """Re-parent a unit and its whole subtree with one UPDATE."""
    if new_parent is not None and new_parent.within(unit):
        raise OrgError("cannot move a unit under itself or one of its sub-units")
    old_path = unit.path
    new_path = (new_parent.path if new_parent else "/") + f"{unit.id}/"
    depth_delta = (new_parent.depth + 1 if new_parent else 0) - unit.depth
    old_parent_id = unit.parent_id
    unit.parent_id = new_parent.id if new_parent else None
    session.flush()
    session.execute(
        update(OrgUnit)
        .where(OrgUnit.within(old_path))
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


def check_merge(source: OrgUnit, target: OrgUnit) -> None:
    """Raise OrgError unless source may be merged into target."""
    if source.id == target.id or target.within(source):
        raise OrgError("cannot merge a unit into itself or one of its sub-units")


def merge_unit_tree(session: Session, source: OrgUnit, target: OrgUnit) -> None:
    """The tree half of a merge: source's child units move under target; source is deactivated.

    Callers move the people first (`lms.auth.services.merge_units` does both and audits).
    """
    check_merge(source, target)
    for child in list(session.scalars(select(OrgUnit).where(OrgUnit.parent_id == source.id))):
        move_unit(session, child, target)
    session.expire_all()
    source.is_active = False
    session.flush()
