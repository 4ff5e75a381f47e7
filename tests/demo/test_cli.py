"""`flask --app wsgi lms demo-data`: the one command `make run` uses to load the demo."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.auth.models import User
from lms.demo.training import DEMO_CLASS_TITLE
from lms.org.models import OrgUnit
from lms.training.models import TrainingClass


def test_demo_data_command_builds_province_and_training_plan_once(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "demo-data", "--learners-per-unit", "1"])
    assert first.exit_code == 0, first.output
    assert "demo data: 75 units" in first.output
    assert "training demo:" in first.output
    assert "nhansu@2026" in first.output
    units = session.scalar(select(func.count()).select_from(OrgUnit))
    people = session.scalar(select(func.count()).select_from(User))
    assert session.scalars(select(TrainingClass).where(TrainingClass.title == DEMO_CLASS_TITLE)).one()

    again = runner.invoke(args=["lms", "demo-data", "--learners-per-unit", "1"])
    assert again.exit_code == 0, again.output
    assert "demo data: 0 units and 0 people added" in again.output
    assert session.scalar(select(func.count()).select_from(OrgUnit)) == units
    assert session.scalar(select(func.count()).select_from(User)) == people


def test_demo_certificates_print_todays_unit_names(app, session):
    from lms.certificates.models import Certificate

    result = app.test_cli_runner().invoke(args=["lms", "demo-data", "--learners-per-unit", "1"])
    assert result.exit_code == 0, result.output
    certs = list(session.scalars(select(Certificate)))
    assert certs, "the demo class's attendance completes the in-person course"
    for cert in certs:
        holder = session.get(User, cert.user_id)
        assert cert.unit_name == holder.org_unit.name
        assert cert.unit_name.endswith("phường Hạ Long"), cert.unit_name
        assert "(" not in cert.unit_name
        assert "huyện" not in cert.unit_name.lower()
    cls = session.scalars(select(TrainingClass).where(TrainingClass.title == DEMO_CLASS_TITLE)).one()
    assert cls.place == "Hội trường UBND phường Hạ Long"
