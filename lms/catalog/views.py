"""Catalogue (topic filter, diacritic-insensitive search) and course images."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, case, func, or_, select
from werkzeug.wrappers import Response

from lms.auth.access import Access, access, can_view_course, refuse_course
from lms.catalog import search
from lms.catalog.assets import asset_response
from lms.catalog.models import Course, CourseAsset, CourseStatus, Lesson, Module, Topic
from lms.catalog.parts import learner_progress
from lms.core.html import plain_text
from lms.db import db

bp = Blueprint("catalog", __name__, url_prefix="/courses", template_folder="templates")

TOPIC_LABELS = {
    Topic.DIGITAL_SIGNATURE: _l("Digital signatures"),
    Topic.E_DOCUMENTS: _l("Electronic documents"),
    Topic.ONLINE_SERVICES: _l("Online public services"),
    Topic.OTHER: _l("Other"),
}


@bp.app_template_filter("topic_label")
def topic_label(topic: str) -> str:
    return str(TOPIC_LABELS.get(topic, topic))  # type: ignore[call-overload]


@bp.app_template_global("localized")
def localized(obj: object, field: str = "title") -> str:
    """obj.<field>_en in the English UI when the author gave one, else obj.<field> (Vietnamese)."""
    if str(get_locale()) == "en":
        value = getattr(obj, f"{field}_en", "")
        if value:
            return str(value)
    return str(getattr(obj, field))


@bp.route("/")
@access(Access.PUBLIC, reason="visitors see (and search) the public courses only; the rest needs a login")
def index() -> str:
    q = request.args.get("q", "").strip()[:200]
    topic = request.args.get("topic", "")
    # Online courses: published and with something to read (in-person-only courses, which have no
    # lessons, belong to the training plan, not to the catalogue).
    stmt = select(Course).where(
        Course.status == CourseStatus.PUBLISHED,
        select(Lesson.id).where(Lesson.course_id == Course.id).exists(),
    )
    if not current_user.is_authenticated:
        stmt = stmt.where(Course.is_public.is_(True))
    if topic in TOPIC_LABELS:
        stmt = stmt.where(Course.topic == topic)
    else:
        topic = ""
    words = search.tokens(q)
    hits = search.lesson_hits(db.session, words) if words else None
    if hits is not None:
        # A course matches when every word is in its own text (titles, summary) or all are in one of its
        # lessons (full-text index over the folded text: "chu ky so" finds "chữ ký số"). Decision 1608.
        own_text = and_(*(Course.search_text.contains(w, autoescape=True) for w in words))
        best = (
            select(Lesson.course_id.label("course_id"), func.min(hits.c.rank).label("rank"))
            .join(hits, hits.c.lesson_id == Lesson.id)
            .group_by(Lesson.course_id)
            .subquery("best")
        )
        stmt = (
            stmt.outerjoin(best, best.c.course_id == Course.id)
            .where(or_(own_text, best.c.rank.is_not(None)))
            .order_by(case((own_text, 0), else_=1), func.coalesce(best.c.rank, 0.0))
        )
    courses = db.session.scalars(stmt.order_by(Course.title)).all()
    found_in: dict[int, list[Any]] = {}
    if hits is not None and courses:
        # The lessons that contain the words, best first, with a snippet (one statement).
        for row in db.session.execute(
            select(
                Lesson.course_id, Lesson.title, Lesson.key, Lesson.body_html, Module.key.label("module_key")
            )
            .join(hits, hits.c.lesson_id == Lesson.id)
            .join(Module, Module.id == Lesson.module_id)
            .where(Lesson.course_id.in_([c.id for c in courses]))
            .order_by(Lesson.course_id, hits.c.rank, Module.position, Lesson.position)
        ):
            found_in.setdefault(row.course_id, []).append(
                {
                    "title": row.title,
                    "key": row.key,
                    "module_key": row.module_key,
                    "snippet": search.snippet(plain_text(row.body_html or ""), words)
                    if len(found_in.get(row.course_id, [])) < 3
                    else None,
                }
            )
    stats = {}
    enrolled = {}
    if courses:
        ids = [c.id for c in courses]
        stats = {
            cid: (n, minutes)
            for cid, n, minutes in db.session.execute(
                select(Lesson.course_id, func.count(Lesson.id), func.sum(Lesson.estimated_minutes))
                .where(Lesson.course_id.in_(ids))
                .group_by(Lesson.course_id)
            )
        }
        if current_user.is_authenticated:
            enrolled = learner_progress(db.session, current_user, ids)  # registered by learning
    return render_template(
        "catalog/index.html",
        courses=courses,
        stats=stats,
        enrolled=enrolled,
        q=q,
        topic=topic,
        topics=TOPIC_LABELS,
        found_in=found_in,
    )


@bp.route("/<slug>/assets/<path:path>")
@access(Access.COURSE_READER)  # lesson images open for whoever may read the lessons they illustrate
def asset(slug: str, path: str) -> Response:
    """A lesson image, with its own type, a strong ETag and long caching for versioned URLs."""
    row = db.session.execute(
        select(CourseAsset, Course)
        .join(Course, Course.id == CourseAsset.course_id)
        .where(Course.slug == slug, CourseAsset.path == path)
    ).first()
    if row is None:
        refuse_course(current_user)
    item, course = row
    if not can_view_course(current_user, course):
        refuse_course(current_user)
    return asset_response(item)
