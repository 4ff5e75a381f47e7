"""Training plans: people/unit import, assignments, yearly targets, in-person classes, attendance."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from lms.auth.access import Permission
    from lms.auth.signals import user_unit_changed
    from lms.certificates.hooks import register_holder_filter
    from lms.core.cli import lms_cli
    from lms.core.nav import register_nav
    from lms.jobs import register_label
    from lms.learning.completion import register_requirement
    from lms.training import cli, jobs, notice_mail, services, views

    app.register_blueprint(views.bp)

    user_unit_changed.connect(services.on_user_unit_changed)
    register_requirement(services.attendance_requirement, many=services.attendance_requirements_many)
    register_nav(_l("Assigned training"), "training.my_assignments", Permission.LEARN)
    register_nav(_l("Notifications"), "training.notifications", Permission.LEARN)
    register_nav(_l("Training plan"), "training.assignments", Permission.MANAGE_TRAINING)
    register_nav(_l("Classes"), "training.classes", Permission.MANAGE_TRAINING)
    register_nav(_l("Import people"), "training.imports", Permission.MANAGE_PEOPLE)
    lms_cli.add_command(cli.people_cli)
    # The HR certificate list and ZIP export can be filtered by class.
    register_holder_filter("class", _l("Class"), services.class_members_matching)
    register_label(jobs.COMMIT_IMPORT, _l("Write an import"))
    register_label(notice_mail.SEND_NOTICES, _l("Notification e-mails"))

    @app.context_processor
    def _my_classes() -> dict[str, object]:
        """`my_classes(course)`: the signed-in learner's in-person classes of a course (course page)."""
        from flask_login import current_user

        from lms.db import db

        return {"my_classes": lambda course: services.classes_of(db.session, current_user, course)}

    from lms.core.audit import register_action

    register_action("assignment_created", _l("Training assigned"))
    register_action("assignment_closed", _l("Assignment closed"))
    register_action("attendance_imported", _l("Attendance imported"))
    register_action("attendance_recorded", _l("Attendance recorded"))
    register_action("class_created", _l("Class created"))
    register_action("class_roster_added", _l("People added to a class"))
    register_action("class_roster_removed", _l("Person removed from a class"))
    register_action("import_started", _l("People import started"))
    register_action("import_committed", _l("People import saved"))
    register_action("target_set", _l("Training target set"))
