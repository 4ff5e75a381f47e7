"""The xAPI outbox: statements written in the transaction of the event, sent later by a job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, UTCDateTime, created_at, intpk


class OutboxStatus:
    PENDING = "pending"
    SENT = "sent"
    REJECTED = "rejected"


class XapiStatement(Base):
    """One xAPI statement to deliver (or delivered) to the Learning Record Store (decision 1721).

    ``statement_id`` is the statement's own ``id`` (a UUID fixed at creation, derived from the fact
    it records), so a resend or a replay is harmless: the LRS and this table each keep it once.
    """

    __tablename__ = "xapi_statements"

    id: Mapped[intpk]
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    verb: Mapped[str] = mapped_column(String(40))  # our short name ("completed"), for the admin panel
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[created_at]
    # pending → sent, or rejected (the LRS refused this one statement: 400, or 409 with other content)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<XapiStatement {self.verb} {self.statement_id}>"
