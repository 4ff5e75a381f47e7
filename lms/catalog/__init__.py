"""Courses, modules and lessons; importing courses/ from files; catalogue pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    import lms.catalog.cli  # noqa: F401  (adds `lms courses ...`)
    from lms.catalog import views

    app.register_blueprint(views.bp)
    from lms.core.access import Access, declare_access

    # Lesson images need a session like the lessons they illustrate (not public).
    declare_access(Access.SIGNED_IN, "catalog.index", "catalog.asset")
