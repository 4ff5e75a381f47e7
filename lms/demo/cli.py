"""`flask --app wsgi lms demo-data [--scale large]` (idempotent, deterministic)."""

from __future__ import annotations

import click

from lms.db import db
from lms.demo.authoring import demo_authors
from lms.demo.province import DEMO_ACCOUNTS, build_province, demo_password
from lms.demo.training import build_training


@click.command("demo-data")
@click.option("--learners-per-unit", default=2, show_default=True)
@click.option(
    "--scale",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help="large: 500 units, 50,000 people, 200,000 enrolments (for benchmarks).",
)
def demo_data(learners_per_unit: int, scale: str) -> None:
    """Create the demo province, its people and one account per role (idempotent)."""
    stats = build_province(db.session, learners_per_unit=learners_per_unit)
    db.session.commit()
    click.echo(f"demo data: {stats['units']} units and {stats['people']} people added")
    # Then the training plan (assignments, targets, classes; large scale) and the authors of imported courses.
    for build in (build_training, demo_authors):
        message = build(db.session, scale)
        db.session.commit()
        if message:
            click.echo(message)
    for username, _full, roles, _u, _s in DEMO_ACCOUNTS:
        click.echo(f"  {username:<10} {demo_password(username):<16} {', '.join(sorted(roles))}")
