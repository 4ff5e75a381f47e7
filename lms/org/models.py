"""OrgUnit: a node of the province's unit tree, stored with a materialised path.

``path`` is "/<id>/<id>/.../" from the root to the unit itself, so a subtree is
one ``path LIKE '<path>%'`` filter and moving a subtree is one UPDATE, whatever
the depth.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
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

    def is_within(self, other: OrgUnit) -> bool:
        """True if this unit is other or one of its descendants."""
        return self.path.startswith(other.path)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]
