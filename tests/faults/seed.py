"""Seed the battery's database: the test quiz course, N enrolled learners, an HR officer.

Run as ``python -m tests.faults.seed URL INSTANCE N``; prints ``quiz_id`` (JSON).
"""

from __future__ import annotations

import json
import sys

from alembic import command


def main(url: str, instance: str, learners: int) -> None:
    from lms import create_app
    from lms.core.migrate import alembic_config

    command.upgrade(alembic_config(url), "head")
    app = create_app("production", SQLALCHEMY_DATABASE_URL=url, INSTANCE_PATH=instance, SECRET_KEY="x")
    with app.app_context():
        from lms.auth.models import Role, User
        from lms.auth.services import hash_password
        from lms.db import db
        from lms.learning.services import enroll_user
        from lms.org.models import UnitKind
        from lms.org.services import create_unit
        from tests.quizzes.helpers import load_fixture_course, quiz_by_key

        session = db.session
        course = load_fixture_course(session, slug="kiem-thu-faults")
        quiz = quiz_by_key(session, course, "01-tong-quan")
        unit = create_unit(session, code="F-01", name="Xã Thử Lỗi", kind=UnitKind.COMMUNE)
        pw = hash_password("faults@2026")
        people = []
        for i in range(learners):
            user = User(username=f"hv{i:03d}", email=f"hv{i:03d}@faults.test", full_name=f"Học viên {i}",
                        password_hash=pw, org_unit_id=unit.id)  # fmt: skip
            user.set_roles({Role.LEARNER.value})
            session.add(user)
            people.append(user)
        hr = User(username="nhansu", email="nhansu@faults.test", full_name="Cán bộ nhân sự",
                  password_hash=pw, org_unit_id=unit.id, scope_unit_id=unit.id)  # fmt: skip
        hr.set_roles({Role.HR.value, Role.LEARNER.value})
        session.add(hr)
        session.flush()
        for user in people:
            enroll_user(session, user, course)
        session.commit()
        print(json.dumps({"quiz_id": quiz.id, "course_id": course.id}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
