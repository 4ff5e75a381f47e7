"""Cross-cutting pieces shared by every feature: web wiring, errors, time, HTML, text, audit, CLI."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Extensions, headers, error pages, date filters and the `lms` command group (with `lms db`)."""
    from lms.core.cli import lms_cli
    from lms.core.errors import init_errors
    from lms.core.migrate import db_cli
    from lms.core.timefmt import init_filters
    from lms.core.web import init_web

    init_web(app)
    init_errors(app)
    init_filters(app)
    lms_cli.add_command(db_cli)
    app.cli.add_command(lms_cli)
