"""The audit log: who did what to which object, when and from where."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, created_at, fk, intpk


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[intpk]
    at: Mapped[created_at] = mapped_column(index=True)
    actor_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(120), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.subject} at={self.at:%Y-%m-%d %H:%M}>"


__all__ = ["AuditEvent", "dt"]
