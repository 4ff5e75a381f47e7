"""Authoring workflows: authors, drafts, lesson saves, images, publish, history.

Services flush and never commit; the actor is passed explicitly (``by=user``).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Callable
from typing import Any

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from lms.auth.access import managed_courses
from lms.auth.models import Role, User
from lms.authoring import bank
from lms.authoring.errors import AuthoringError, EditConflictError
from lms.authoring.images import MAX_IMAGE_BYTES, looks_like_svg, random_image_name, sniff_image
from lms.authoring.models import (
    CourseAuthor,
    CourseDraft,
    CourseSnapshot,
    DraftLesson,
    DraftModule,
    DraftQuiz,
)
from lms.catalog.differ import Change, diff_courses
from lms.catalog.models import (
    Course,
    CourseAsset,
    CourseStatus,
    CourseVersion,
    Topic,
)
from lms.core.audit import record
from lms.core.html import render_markdown
from lms.core.text import fold, nfc
from lms.db import utcnow
from lms.quizzes.models import Quiz
from lms.quizzes.part import FINAL_KEY, dump_quiz

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COURSE_FIELDS = (
    "title",
    "title_en",
    "summary",
    "summary_en",
    "topic",
    "language",
    "estimated_hours",
    "certificate_validity_months",
    "sequential_modules",
    "require_lessons",
    "require_quizzes",
    "require_final_exam",
    "require_attendance",
    "final_exam_opens",
)


# --- who may edit: lms.auth.access.manages_course -----------------------------------------


def editable_courses(session: Session, user: User) -> list[Course]:
    return list(session.scalars(select(Course).where(managed_courses(user, Course)).order_by(Course.title)))


def course_authors(session: Session, course: Course) -> list[CourseAuthor]:
    return list(
        session.scalars(
            select(CourseAuthor)
            .where(CourseAuthor.course_id == course.id)
            .join(User, User.id == CourseAuthor.user_id)
            .order_by(User.full_name)
        )
    )


def add_author(session: Session, course: Course, user: User, *, by: User) -> CourseAuthor:
    if not user.has_role(Role.TRAINER, Role.ADMIN):
        raise AuthoringError(str(_l("Only trainers can be authors of a course.")))
    existing = session.scalars(
        select(CourseAuthor).where(CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id)
    ).first()
    if existing is not None:
        return existing
    author = CourseAuthor(course_id=course.id, user_id=user.id, added_by_id=by.id)
    session.add(author)
    session.flush()
    record(
        session, "authoring.author_added", actor_id=by.id, subject=f"course:{course.id}", user=user.username
    )
    return author


def remove_author(session: Session, course: Course, user: User, *, by: User) -> None:
    session.execute(
        delete(CourseAuthor).where(CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id)
    )
    record(
        session, "authoring.author_removed", actor_id=by.id, subject=f"course:{course.id}", user=user.username
    )
    session.flush()


# --- courses and drafts -----------------------------------------------------


def slug_from_title(session: Session, title: str) -> str:
    """A free short name made from the title: "Chữ ký số cơ bản" -> "chu-ky-so-co-ban" (then -2, -3…)."""
    base = _slugify(title, "khoa-hoc")[:90].strip("-")
    taken = set(session.scalars(select(Course.slug).where(Course.slug.startswith(base))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_course(
    session: Session, *, slug: str, title: str, topic: str, by: User, summary: str = ""
) -> Course:
    """A new, unpublished course (version 0) with its creator as author and an empty draft.

    An empty ``slug`` is made from the title; ``summary`` goes into the draft (publishing needs it).
    """
    slug = slug.strip().lower() or slug_from_title(session, title)
    if not SLUG_RE.match(slug) or len(slug) > 100:
        raise AuthoringError(str(_l("The short name may contain only a-z, 0-9 and hyphens.")))
    if session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise AuthoringError(str(_l("A course with this short name already exists.")))
    title = nfc(title.strip())
    course = Course(
        slug=slug,
        title=title,
        topic=Topic(topic).value,
        status=CourseStatus.DRAFT,
        version=0,
        search_text=fold(title),
    )
    session.add(course)
    session.flush()
    session.add(CourseAuthor(course_id=course.id, user_id=by.id, added_by_id=by.id))
    draft = ensure_draft(session, course, by=by)
    draft.dirty = True
    if summary.strip():
        draft.summary = nfc(summary.strip())
    record(session, "authoring.course_created", actor_id=by.id, subject=f"course:{course.id}", slug=slug)
    session.flush()
    return course


def get_draft(session: Session, course: Course) -> CourseDraft | None:
    """The course's draft with its modules, lessons, quizzes and questions loaded (no N+1)."""
    return session.scalars(
        select(CourseDraft)
        .where(CourseDraft.course_id == course.id)
        .options(
            selectinload(CourseDraft.modules).selectinload(DraftModule.lessons),
            selectinload(CourseDraft.modules).selectinload(DraftModule.quiz),
            selectinload(CourseDraft.quizzes).selectinload(DraftQuiz.questions),
            selectinload(CourseDraft.quizzes).selectinload(DraftQuiz.module),
        )
    ).first()


def ensure_draft(session: Session, course: Course, *, by: User | None = None) -> CourseDraft:
    """The course's draft, created from the published content when there is none."""
    draft = get_draft(session, course)
    if draft is None:
        draft = CourseDraft(course_id=course.id, title=course.title, topic=course.topic, updated_by=by)
        session.add(draft)
        load_draft(draft, course_snapshot(session, course), session)
        draft.base_version = course.version
        draft.dirty = False
        session.flush()
    return draft


def _tree(source: Course | CourseDraft, prerequisite_slugs: list[str]) -> dict[str, Any]:
    """Course metadata, modules and lessons of a published course or a draft, as snapshot data."""
    return {
        "course": {**{f: getattr(source, f) for f in COURSE_FIELDS}, "prerequisites": prerequisite_slugs},
        "modules": [
            {
                "key": m.key,
                "title": m.title,
                "title_en": m.title_en,
                "summary": m.summary,
                "lessons": [
                    {
                        "key": lesson.key,
                        "title": lesson.title,
                        "estimated_minutes": lesson.estimated_minutes,
                        "required": lesson.required,
                        "body_markdown": lesson.body_markdown,
                    }
                    for lesson in m.lessons
                ],
            }
            for m in source.modules
        ],
    }


def course_snapshot(session: Session, course: Course) -> dict[str, Any]:
    """The published content of course as plain data (the format snapshots store)."""
    prereq_slugs = [link.required_course.slug for link in course.prerequisite_links]
    return {**_tree(course, prereq_slugs), "quizzes": live_quizzes(session, course)}


def live_quizzes(session: Session, course: Course) -> list[dict[str, Any]]:
    """The published quizzes in snapshot format (via the quiz engine's own file writer)."""
    quizzes = session.scalars(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.active.is_(True)).order_by(Quiz.id)
    ).all()
    out = []
    for quiz in quizzes:
        data = yaml.safe_load(dump_quiz(session, quiz))
        questions = data.pop("questions", [])
        out.append(
            {
                "module": None if quiz.key == FINAL_KEY else quiz.key,
                "settings": {**bank.DEFAULT_SETTINGS, **data},
                "questions": [bank.canonical_question(q) for q in questions],
            }
        )
    return out


def draft_snapshot(session: Session, draft: CourseDraft) -> dict[str, Any]:
    """The draft's content in the snapshot format."""
    slugs = _slugs_for(session, draft.prerequisite_ids)
    return {**_tree(draft, slugs), "quizzes": bank.quizzes_snapshot(draft)}


def _slugs_for(session: Session, ids: list[int]) -> list[str]:
    if not ids:
        return []
    by_id = dict(session.execute(select(Course.id, Course.slug).where(Course.id.in_(ids))).tuples().all())
    return [by_id[i] for i in ids if i in by_id]


def load_draft(draft: CourseDraft, data: dict[str, Any], session: Session) -> None:
    """Replace the draft's whole content with snapshot data."""
    course_data = data["course"]
    for f in COURSE_FIELDS:
        if f in course_data:
            setattr(draft, f, course_data[f])
    slugs = course_data.get("prerequisites", [])
    if slugs:
        ids = dict(
            session.execute(select(Course.slug, Course.id).where(Course.slug.in_(slugs))).tuples().all()
        )
        draft.prerequisite_ids = [ids[s] for s in slugs if s in ids]
    else:
        draft.prerequisite_ids = []
    draft.modules.clear()
    session.flush()
    course = draft.course if draft.course is not None else session.get(Course, draft.course_id)
    for mpos, m in enumerate(data["modules"], start=1):
        module = DraftModule(
            key=m["key"],
            position=mpos,
            title=m["title"],
            title_en=m.get("title_en", ""),
            summary=m.get("summary", ""),
        )
        draft.modules.append(module)
        for lpos, les in enumerate(m["lessons"], start=1):
            module.lessons.append(
                DraftLesson(
                    key=les["key"],
                    position=lpos,
                    title=les["title"],
                    estimated_minutes=les["estimated_minutes"],
                    required=les["required"],
                    body_markdown=les["body_markdown"],
                    body_html=render_lesson(course, m["key"], les["body_markdown"]),
                    updated_by_id=draft.updated_by_id,
                )
            )
    bank.load_quizzes(draft, data.get("quizzes", []), draft.updated_by_id)


def update_metadata(
    session: Session, draft: CourseDraft, data: dict[str, Any], *, expected_version: int, by: User
) -> None:
    """Save the course settings; refuse if someone saved them since the form was opened."""
    if expected_version != draft.lock_version:
        raise EditConflictError(draft.lock_version, draft.updated_by, draft.updated_at)
    for f in COURSE_FIELDS:
        if f in data:
            value = data[f]
            if value is None and f in {"title_en", "summary_en", "summary"}:
                value = ""
            setattr(draft, f, nfc(value.strip()) if isinstance(value, str) else value)
    prereqs = [
        int(i) for i in data.get("prerequisite_ids", draft.prerequisite_ids) if int(i) != draft.course_id
    ]
    draft.prerequisite_ids = prereqs
    draft.lock_version += 1
    draft.touch(by)
    session.flush()


# --- modules and lessons ----------------------------------------------------


def _slugify(title: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60].strip("-")
    return slug or fallback


def _unique_key(prefix_pos: int, title: str, taken: set[str], fallback: str) -> str:
    base = f"{prefix_pos:02d}-{_slugify(title, fallback)}"
    key, n = base, 2
    while key in taken:
        key = f"{base}-{n}"
        n += 1
    return key


def add_module(session: Session, draft: CourseDraft, title: str, *, by: User) -> DraftModule:
    position = len(draft.modules) + 1
    key = _unique_key(position, title, {m.key for m in draft.modules}, "module")
    module = DraftModule(key=key, position=position, title=nfc(title.strip()))
    draft.modules.append(module)
    draft.touch(by)
    session.flush()
    return module


def update_module(
    session: Session, module: DraftModule, *, title: str, title_en: str = "", summary: str = "", by: User
) -> None:
    module.title = nfc(title.strip())
    module.title_en = nfc(title_en.strip())
    module.summary = nfc(summary.strip())
    module.draft.touch(by)
    session.flush()


def _move(items: list[Any], item: Any, direction: str) -> bool:
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for pos, it in enumerate(items, start=1):
        it.position = pos
    return True


def move_module(session: Session, module: DraftModule, direction: str, *, by: User) -> bool:
    moved = _move(list(module.draft.modules), module, direction)
    module.draft.modules.sort(key=lambda m: m.position)
    module.draft.touch(by)
    session.flush()
    return moved


def remove_module(session: Session, module: DraftModule, *, by: User) -> None:
    draft = module.draft
    if module.quiz is not None:
        draft.quizzes.remove(module.quiz)
    draft.modules.remove(module)
    for pos, m in enumerate(draft.modules, start=1):
        m.position = pos
    draft.touch(by)
    session.flush()


def add_lesson(session: Session, module: DraftModule, title: str, *, by: User) -> DraftLesson:
    position = len(module.lessons) + 1
    key = _unique_key(position, title, {x.key for x in module.lessons}, "lesson")
    lesson = DraftLesson(key=key, position=position, title=nfc(title.strip()), updated_by_id=by.id)
    module.lessons.append(lesson)
    module.draft.touch(by)
    session.flush()
    return lesson


def move_lesson(session: Session, lesson: DraftLesson, direction: str, *, by: User) -> bool:
    module = lesson.module
    moved = _move(list(module.lessons), lesson, direction)
    module.lessons.sort(key=lambda x: x.position)
    module.draft.touch(by)
    session.flush()
    return moved


def remove_lesson(session: Session, lesson: DraftLesson, *, by: User) -> None:
    module = lesson.module
    module.lessons.remove(lesson)
    for pos, x in enumerate(module.lessons, start=1):
        x.position = pos
    module.draft.touch(by)
    session.flush()


def save_lesson(
    session: Session,
    lesson: DraftLesson,
    *,
    title: str,
    estimated_minutes: int,
    required: bool,
    body_markdown: str,
    expected_version: int,
    by: User,
) -> None:
    """Save a lesson; EditConflictError if it changed since expected_version (no silent overwrite)."""
    if expected_version != lesson.lock_version:
        raise EditConflictError(lesson.lock_version, lesson.updated_by, lesson.updated_at)
    course = lesson.module.draft.course
    lesson.title = nfc(title.strip())
    lesson.estimated_minutes = estimated_minutes
    lesson.required = required
    lesson.body_markdown = nfc(body_markdown.replace("\r\n", "\n"))
    lesson.body_html = render_lesson(course, lesson.module.key, lesson.body_markdown)
    lesson.updated_at = utcnow()
    lesson.updated_by_id = by.id
    lesson.module.draft.touch(by)
    # The version_id_col makes the UPDATE conditional on the version read above,
    # so a save racing this one fails (StaleDataError) instead of overwriting.
    session.flush()


# --- rendering and images ---------------------------------------------------


def asset_path_for(module_key: str, url: str) -> str | None:
    """The course-relative asset path a lesson's relative image URL points to."""
    if not url or "://" in url or url.startswith(("/", "#", "mailto:")) or ":" in url.split("/")[0]:
        return None
    path = posixpath.normpath(posixpath.join(module_key, url))
    if path.startswith("..") or path.startswith("/"):
        return None
    return path


def _asset_url_builder() -> Callable[[int, str], str]:
    from flask import has_request_context, url_for

    def build(course_id: int, path: str) -> str:
        if has_request_context():
            return url_for("authoring.asset", course_id=course_id, path=path)
        return f"/authoring/assets/{course_id}/{path}"

    return build


def render_lesson(course: Course, module_key: str, markdown: str) -> str:
    """Render lesson Markdown exactly as learners see it (relative images → served URLs)."""
    build = _asset_url_builder()

    def rewrite(url: str) -> str | None:
        low = url.strip().lower()
        if low.startswith(("javascript:", "vbscript:", "data:")):
            return None
        path = asset_path_for(module_key, url)
        if path is None:
            return url
        if path.endswith(".md"):
            return url
        return build(course.id, path)

    return render_markdown(markdown, rewrite_url=rewrite)


def store_image(session: Session, course: Course, data: bytes, *, by: User) -> CourseAsset:
    """Keep an uploaded image (PNG/JPEG/GIF/WebP by magic number) under a random name."""
    if not data:
        raise AuthoringError(str(_l("The file is empty.")))
    if len(data) > MAX_IMAGE_BYTES:
        raise AuthoringError(str(_l("The image is larger than %(kb)d KB.", kb=MAX_IMAGE_BYTES // 1024)))
    if looks_like_svg(data):
        raise AuthoringError(
            str(
                _l(
                    "SVG images cannot be uploaded here (they can contain scripts). Use PNG, JPEG, GIF or WebP."
                )
            )
        )
    sniffed = sniff_image(data)
    if sniffed is None:
        raise AuthoringError(str(_l("This file is not a PNG, JPEG, GIF or WebP image.")))
    content_type, ext = sniffed
    asset = CourseAsset(
        course_id=course.id,
        path=random_image_name(ext),
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    session.add(asset)
    session.flush()
    record(
        session, "authoring.image_uploaded", actor_id=by.id, subject=f"course:{course.id}", path=asset.path
    )
    return asset


# --- publish and history ----------------------------------------------------


def changes_between(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable list of what differs between two snapshots (lms.catalog.differ)."""
    return [_history_note(c) for c in diff_courses(old, new)]


def _history_note(change: Change) -> str:
    """One change as a version-history line, in the trainer's language."""
    if change.what == "course":
        return str(_l("Course setting changed: %(field)s", field=change.key))
    if change.what == "modules":
        return str(_l("Modules reordered"))
    if change.what == "lessons":
        return str(_l("Lessons reordered in: %(title)s", title=change.title))
    words = {
        ("module", "added"): _l("Module added: %(title)s", title=change.title),
        ("module", "changed"): _l("Module changed: %(title)s", title=change.title),
        ("module", "removed"): _l("Module removed: %(title)s", title=change.title),
        ("lesson", "added"): _l("Lesson added: %(title)s", title=change.title),
        ("lesson", "changed"): _l("Lesson changed: %(title)s", title=change.title),
        ("lesson", "removed"): _l("Lesson removed: %(title)s", title=change.title),
        ("quiz", "added"): _l("Quiz added: %(title)s", title=change.title),
        ("quiz", "changed"): _l("Quiz changed: %(title)s", title=change.title),
        ("quiz", "removed"): _l("Quiz removed: %(title)s", title=change.title),
    }
    return str(words[change.what, change.action])


def publish_problems(draft: CourseDraft) -> list[str]:
    """What stops the draft from being published (empty list = ready)."""
    problems: list[str] = []
    if not draft.title.strip():
        problems.append(str(_l("The course needs a title.")))
    if not draft.summary.strip():
        problems.append(str(_l("The course needs a summary.")))
    lessons = [x for m in draft.modules for x in m.lessons]
    if not lessons:
        problems.append(str(_l("The course needs at least one lesson.")))
    for m in draft.modules:
        if not m.lessons:
            problems.append(str(_l("Module “%(title)s” has no lessons.", title=m.title)))
    for x in lessons:
        if not x.body_markdown.strip():
            problems.append(str(_l("Lesson “%(title)s” is empty.", title=x.title)))
    for quiz in draft.quizzes:
        if not quiz.questions and not quiz.settings.get("pools"):
            problems.append(
                str(_l("Quiz “%(title)s” has no questions.", title=quiz.settings.get("title", "")))
            )
    for check in bank.pool_report(draft):
        if not check.ok:
            problems.append(
                str(
                    _l(
                        "Quiz “%(title)s”: tag “%(tag)s” has %(have)d questions, fewer than the %(draw)d to draw.",
                        title=check.quiz.settings.get("title", ""),
                        tag=check.tag,
                        have=check.available,
                        draw=check.draw,
                    )
                )
            )
    return problems


def version_history(session: Session, course: Course) -> list[tuple[CourseVersion, User | None, bool]]:
    """(version, who published it, restorable) newest first."""
    rows = session.execute(
        select(CourseVersion, User)
        .outerjoin(User, User.id == CourseVersion.created_by_id)
        .where(CourseVersion.course_id == course.id)
        .order_by(CourseVersion.number.desc())
    ).all()
    snapshots = set(
        session.scalars(select(CourseSnapshot.number).where(CourseSnapshot.course_id == course.id)).all()
    )
    return [(v, u, v.number in snapshots) for v, u in rows]


def restore_version(session: Session, course: Course, number: int, *, by: User) -> CourseDraft:
    """Replace the draft with the content of published version ``number`` (publish to make it live)."""
    snap = session.scalars(
        select(CourseSnapshot).where(CourseSnapshot.course_id == course.id, CourseSnapshot.number == number)
    ).first()
    if snap is None:
        raise AuthoringError(str(_l("This version cannot be restored (no saved content).")))
    draft = ensure_draft(session, course, by=by)
    load_draft(draft, snap.data, session)
    draft.lock_version += 1
    draft.touch(by)
    record(session, "authoring.restored", actor_id=by.id, subject=f"course:{course.id}", version=number)
    session.flush()
    return draft


def discard_draft(session: Session, course: Course, *, by: User) -> CourseDraft:
    """Throw the draft away and start again from the published content."""
    draft = ensure_draft(session, course, by=by)
    load_draft(draft, course_snapshot(session, course), session)
    draft.base_version = course.version
    draft.lock_version += 1
    draft.dirty = False
    draft.updated_by_id = by.id
    draft.updated_at = utcnow()
    session.flush()
    return draft


def store_snapshot(session: Session, course: Course, number: int, data: dict[str, Any]) -> None:
    """Keep what version ``number`` contained (once per version) so it can be restored."""
    exists = session.scalar(
        select(CourseSnapshot.id).where(
            CourseSnapshot.course_id == course.id, CourseSnapshot.number == number
        )
    )
    if exists is None:
        session.add(CourseSnapshot(course_id=course.id, number=number, data=data))
        session.flush()


def record_publish(session: Session, course: Course, *, by: User) -> None:
    record(
        session, "authoring.published", actor_id=by.id, subject=f"course:{course.id}", version=course.version
    )


def snapshot_after_import(course: Course, *, session: Session, change: Any, **_kw: Any) -> None:
    """Every imported version (CLI, upload, editor publish) becomes restorable."""
    store_snapshot(session, course, change.new_version, course_snapshot(session, course))
