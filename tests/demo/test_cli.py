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
    assert "demo data: 221 units" in first.output
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
