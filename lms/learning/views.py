"""Learner pages: "My courses", course page, enrolment, lesson player, completing a lesson."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from lms.auth.access import Access, Permission, access, can, can_view_course, refuse_course
from lms.catalog.models import Course, CourseStatus, CourseVersion, Lesson
from lms.db import db, write_on_get
from lms.learning import services
from lms.learning.completion import next_step_after_module
from lms.learning.models import Enrollment
from lms.learning.present import present_lesson_html

bp = Blueprint("learning", __name__, template_folder="templates")


@bp.route("/")
@access(Access.SIGNED_IN)
def dashboard() -> str:
    rows = services.dashboard_rows(db.session, current_user)
    return render_template("learning/dashboard.html", rows=rows)


def _load_course(slug: str) -> tuple[Course, Enrollment | None]:
    """The course and the viewer's enrolment; 404 unless the viewer may see it (``can_view_course``).

    A visitor who is not signed in may read a public course (no enrolment); for any other course
    they are sent to log in (``refuse_course``).
    """
    if not current_user.is_authenticated:
        course = db.session.scalars(select(Course).where(Course.slug == slug)).first()
        if course is None or not can_view_course(current_user, course):
            refuse_course(current_user)
        return course, None
    found = services.course_and_enrollment(db.session, slug, current_user)
    if found is None:
        refuse_course(current_user)
    course, enrollment = found
    if not can_view_course(current_user, course, enrolled=enrollment is not None):
        abort(404)
    return course, enrollment


def _viewer() -> Any:
    """The signed-in user for the learning services; None for a visitor of a public course."""
    return current_user if current_user.is_authenticated else None


@bp.route("/courses/<slug>")
@access(Access.COURSE_READER)
def course(slug: str) -> str:
    course, enrollment = _load_course(slug)
    outline = services.course_outline(db.session, course, _viewer(), enrollment)
    resume = outline.resume_lesson() if enrollment else None
    requirements = services.requirements_for(db.session, enrollment) if enrollment else []
    versions: list[CourseVersion] = []
    if can(current_user, Permission.AUTHOR_COURSES):  # the history is shown to authors only
        versions = list(
            db.session.scalars(
                select(CourseVersion)
                .where(CourseVersion.course_id == course.id)
                .order_by(CourseVersion.number.desc())
                .limit(10)
            )
        )
    return render_template(
        "learning/course.html",
        course=course,
        outline=outline,
        enrollment=enrollment,
        resume=resume,
        requirements=requirements,
        versions=versions,
        can_learn=can(current_user, Permission.LEARN),
    )


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@access(Access.SIGNED_IN, Permission.LEARN)
def enrol(slug: str) -> Response:
    course, existing = _load_course(slug)
    if course.status != CourseStatus.PUBLISHED:
        abort(403)
    outline = services.course_outline(db.session, course, current_user, None)
    if outline.locked:
        flash(outline.modules[0].lock_reason if outline.modules else _("This course is locked."), "error")
        return redirect(url_for("learning.course", slug=slug))
    services.enroll_user(db.session, current_user, course)
    db.session.commit()
    if existing is None:
        flash(_("You are enrolled. Good luck!"), "success")
    return redirect(url_for("learning.resume", slug=slug))


@bp.route("/courses/<slug>/continue")
@access(Access.SIGNED_IN)
def resume(slug: str) -> Response:
    course, enrollment = _load_course(slug)
    if enrollment is None:
        return redirect(url_for("learning.course", slug=slug))
    outline = services.course_outline(db.session, course, current_user, enrollment)
    target = outline.resume_lesson()
    if target is None:
        return redirect(url_for("learning.course", slug=slug))
    return redirect(
        url_for("learning.lesson", slug=slug, module_key=target.module_key, lesson_key=target.key)
    )


def _lesson_context(slug: str, module_key: str, lesson_key: str) -> tuple:
    """Load the course, the learner's enrollment and the outline; 404 for an unknown lesson."""
    course, enrollment = _load_course(slug)
    outline = services.course_outline(db.session, course, _viewer(), enrollment)
    item = outline.find(module_key, lesson_key)
    if item is None:
        abort(404)
    return course, enrollment, outline, item


@bp.route("/courses/<slug>/learn/<module_key>/<lesson_key>")
@access(Access.COURSE_READER)
def lesson(slug: str, module_key: str, lesson_key: str) -> str | Response:
    course, enrollment, outline, item = _lesson_context(slug, module_key, lesson_key)
    preview = enrollment is None and can(current_user, Permission.AUTHOR_COURSES)
    visitor = not current_user.is_authenticated  # a public course: reading only, nothing stored
    if enrollment is None and not preview and not visitor:
        flash(_("Enrol in the course to open its lessons."), "warning")
        return redirect(url_for("learning.course", slug=slug))
    if item.locked and not preview:
        flash(outline.module_of(item).lock_reason, "warning")
        return redirect(url_for("learning.course", slug=slug))
    body = db.session.scalar(select(Lesson.body_html).where(Lesson.id == item.id))
    prev_item, next_item = outline.neighbours(item)
    module = outline.module_of(item)
    step = None
    if enrollment is not None and module.required_done >= module.required_total and item.done:
        # The module's lessons are done: say what comes next (its quiz) instead of a locked next lesson.
        step = next_step_after_module(db.session, enrollment, module.id)
    if enrollment is not None and enrollment.last_lesson_id != item.id:
        _remember_lesson(enrollment, item.id)
    return render_template(
        "learning/lesson.html",
        course=course,
        outline=outline,
        enrollment=enrollment,
        item=item,
        module=module,
        next_step=step,
        body=present_lesson_html(body),
        prev_item=prev_item,
        next_item=next_item,
        preview=preview,
        visitor=visitor,
    )


def _remember_lesson(enrollment: Enrollment, lesson_id: int) -> None:
    """The one write of a lesson page, through ``write_on_get`` (decision 0002): "continue" moves here.

    Best effort: a database busy beyond its timeout must not break the page.
    """
    try:
        with write_on_get(db.session):
            services.mark_seen(db.session, enrollment, lesson_id)
    except OperationalError:
        db.session.rollback()


@bp.route("/courses/<slug>/learn/<module_key>/<lesson_key>/complete", methods=["POST"])
@access(Access.SIGNED_IN, Permission.LEARN)
def complete(slug: str, module_key: str, lesson_key: str) -> Response:
    _course, enrollment, outline, item = _lesson_context(slug, module_key, lesson_key)
    if enrollment is None:
        abort(403)
    if item.locked:
        flash(outline.module_of(item).lock_reason, "warning")
        return redirect(url_for("learning.course", slug=slug))
    lesson = db.session.get_one(Lesson, item.id)
    was_complete = enrollment.is_complete
    services.complete_lesson(db.session, enrollment, lesson)
    db.session.commit()
    if enrollment.is_complete and not was_complete:
        flash(_("Congratulations! You have completed the course."), "success")
        return redirect(url_for("learning.course", slug=slug))
    flash(_('Lesson "%(title)s" completed.', title=item.title), "success")
    _prev, nxt = outline.neighbours(item)
    module = outline.module_of(item)
    module_done = all(les.done or les.id == item.id for les in module.lessons if les.required)
    last_of_module = nxt is None or nxt.module_key != item.module_key
    if module_done and last_of_module and next_step_after_module(db.session, enrollment, module.id):
        # Last lesson of a module whose quiz is still to do: stay here, the page shows the quiz button.
        return redirect(
            url_for(
                "learning.lesson",
                slug=slug,
                module_key=item.module_key,
                lesson_key=item.key,
                _anchor="next-step",
            )
        )
    if nxt is not None:
        return redirect(url_for("learning.lesson", slug=slug, module_key=nxt.module_key, lesson_key=nxt.key))
    return redirect(url_for("learning.course", slug=slug))
