"""xAPI 1.0.3 statements to the province's Learning Record Store (decisions 1721–1724).

Domain signals (enrolled, lesson opened/completed, attempt graded, course completed, attendance,
certificates issued) → ``services`` builds the statements and records them in the ``xapi_statements``
outbox in the event's own transaction → the ``xapi.send`` job (``send``) posts them in batches.
Off unless LMS_XAPI_ENDPOINT is set.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.auth.access import Permission
    from lms.certificates.services import certificates_issued
    from lms.core.audit import register_action
    from lms.core.cli import lms_cli
    from lms.core.nav import register_nav
    from lms.jobs import periodic, register_label
    from lms.learning.completion import (
        enrollments_completed,
        enrollments_created,
        lesson_completed,
        lesson_opened,
    )
    from lms.quizzes.attempts import attempt_graded
    from lms.training.services import attendance_marked
    from lms.xapi import cli, send, services, views

    app.register_blueprint(views.bp)
    lms_cli.add_command(cli.xapi_cli)
    register_nav(_l("Learning Record Store"), "xapi.admin", Permission.ADMIN_JOBS)
    register_action("xapi.send_now", _l("xAPI statements sent now"))
    register_label(services.SEND, _l("Send statements to the Learning Record Store"))
    register_label(services.PRUNE, _l("Delete statements the Learning Record Store has long held"))
    if app.config.get("XAPI_ENDPOINT"):
        with app.app_context():
            services.profile()  # a wrong LMS_XAPI_ACTOR or a missing key fails at start, not per event
        periodic(send.SEND, minute="*/5")  # catches up after an outage even when nothing new happens
        periodic(send.PRUNE, minute="23", hour="19")  # 02:23 in Hà Nội: delivered statements, kept 30 days
    enrollments_created.connect(services.on_enrollments_created)
    lesson_opened.connect(services.on_lesson_opened)
    lesson_completed.connect(services.on_lesson_completed)
    enrollments_completed.connect(services.on_enrollments_completed)
    attempt_graded.connect(services.on_attempt_graded)
    attendance_marked.connect(services.on_attendance_marked)
    certificates_issued.connect(services.on_certificates_issued)
