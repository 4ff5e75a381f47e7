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
    from lms.training import cli, jobs, services, views

    app.register_blueprint(views.bp)

    user_unit_changed.connect(services.on_user_unit_changed)
    register_requirement(services.attendance_requirement)
    register_nav(_l("Assigned training"), "training.my_assignments", Permission.LEARN)
    register_nav(_l("Training plan"), "training.assignments", Permission.MANAGE_TRAINING)
    register_nav(_l("Classes"), "training.classes", Permission.MANAGE_TRAINING)
    register_nav(_l("Import people"), "training.imports", Permission.MANAGE_PEOPLE)
    lms_cli.add_command(cli.people_cli)
    # The HR certificate list and ZIP export can be filtered by class.
    register_holder_filter("class", _l("Class"), services.class_members_matching)
    register_label(jobs.COMMIT_IMPORT, _l("Write an import"))
