"""OrgUnit: a node of the province's unit tree, stored with a materialised path.

``path`` is "/<id>/<id>/.../" from the root to the unit itself, so a subtree is
one ``path LIKE '<path>%'`` filter and moving a subtree is one UPDATE, whatever
the depth.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ColumnElement, ForeignKey, Integer, String
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, created_at, intpk


class UnitKind(StrEnum):
    PROVINCE = "province"
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"
    OFFICE = "office"
    OTHER = "other"


class OrgUnit(Base):
    __tablename__ = "org_units"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20), default=UnitKind.OTHER)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(1000), index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    is_remote: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created_at]

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id", back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent", order_by="OrgUnit.name")

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code} {self.path}>"

    @hybrid_method
    def within(self, root: Any) -> bool:
        """True if this unit is root or one of its descendants (root: a unit or its path).

        On the class it is the SQL filter: ``select(OrgUnit).where(OrgUnit.within(root))``,
        also for an alias or against another row's path column (``d.within(c.path)``).
        """
        return path_within(self.path, root)

    @within.inplace.expression  # type: ignore[attr-defined]  # mypy sees the hybrid through __get__ here
    @classmethod
    def _within_expression(cls, root: Any) -> ColumnElement[bool]:
        return path_within(cls.path, root)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


def path_within(path: Any, root: Any) -> Any:
    """The one subtree test: ``path`` (a string or a path column) lies under ``root``.

    ``root`` is an OrgUnit, a path string, or a path column. Two strings are compared in
    Python; otherwise it is SQL ``path LIKE root || '%'``. Paths hold only ids and slashes,
    so there is no LIKE wildcard to escape.
    """
    root_path = root.path if isinstance(root, OrgUnit) else root
    return path.startswith(root_path)
