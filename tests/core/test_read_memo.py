"""lms.db.read_memo: reads kept for one session are dropped as soon as the session writes."""

from __future__ import annotations

from sqlalchemy import select, update

from lms.auth.models import User
from lms.db import read_memo


def test_memo_is_kept_across_reads_and_dropped_by_any_write(session, make_user):
    user = make_user(full_name="Trước")
    read_memo(session)["name"] = user.full_name
    session.scalars(select(User).where(User.id == user.id)).one()  # a read keeps it
    assert read_memo(session) == {"name": "Trước"}

    user.full_name = "Sau"
    session.flush()  # an ORM write
    assert read_memo(session) == {}

    read_memo(session)["name"] = "Sau"
    session.execute(update(User).where(User.id == user.id).values(full_name="Khác"))  # a DML statement
    assert read_memo(session) == {}

    read_memo(session)["name"] = "Khác"
    session.commit()
    assert read_memo(session) == {}
