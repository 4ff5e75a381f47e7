"""Trainers' course editor: settings, structure, lessons, images, preview, publish, history.

Every course page loads the course (404) and then checks that the user is an
author of it or an admin (403).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from lms.auth.access import Access, Permission, access, can_view_course, manages_course
from lms.auth.models import Role, User
from lms.authoring import bank, publishing, services
from lms.authoring.files import UnsafeZipError, ZipLimits
from lms.authoring.forms import (
    AuthorForm,
    CourseSettingsForm,
    LessonForm,
    ModuleForm,
    NewCourseForm,
    NewQuestionForm,
    PublishForm,
    QuestionForm,
    QuizSettingsForm,
    TitleForm,
    UploadZipForm,
    kind_choices,
    question_form,
)
from lms.authoring.models import CourseDraft, DraftLesson, DraftModule, DraftQuestion, DraftQuiz
from lms.catalog.assets import asset_response
from lms.catalog.models import Course, CourseAsset, CourseStatus
from lms.db import db
from lms.quizzes import kinds
from lms.quizzes.review import question_numbers

bp = Blueprint("authoring", __name__, url_prefix="/authoring", template_folder="templates")


def _course_or_404(course_id: int) -> Course:
    return db.get_or_404(Course, course_id)


def _editable_course(course_id: int) -> Course:
    """Load the course (404), then require author or admin (403)."""
    course = _course_or_404(course_id)
    if not manages_course(current_user, course):
        abort(403)
    return course


DraftChild = TypeVar("DraftChild", DraftModule, DraftLesson, DraftQuiz, DraftQuestion)

# How each kind of draft child reaches the draft it belongs to.
_DRAFT_ID_OF: dict[type, Callable[[Any], int]] = {
    DraftModule: lambda module: module.draft_id,
    DraftLesson: lambda lesson: lesson.module.draft_id,
    DraftQuiz: lambda quiz: quiz.draft_id,
    DraftQuestion: lambda question: question.quiz.draft_id,
}


def draft_child_or_404(model: type[DraftChild], draft: CourseDraft, child_id: int) -> DraftChild:
    """Load a module, lesson, quiz or question of this draft; 404 if absent or of another draft."""
    child = db.session.get(model, child_id)
    if child is None or _DRAFT_ID_OF[model](child) != draft.id:
        abort(404)
    return child


def _draft_or_404(course: Course) -> CourseDraft:
    draft = services.get_draft(db.session, course)
    if draft is None:
        abort(404)
    return draft


def _editable_child(
    course_id: int, model: type[DraftChild], child_id: int, *, start_draft: bool = False
) -> tuple[Course, CourseDraft, DraftChild]:
    """Course (404, then author or admin: 403), its draft (started by a structure POST, else 404), child (404)."""
    course = _editable_course(course_id)
    draft = (
        services.ensure_draft(db.session, course, by=current_user) if start_draft else _draft_or_404(course)
    )
    return course, draft, draft_child_or_404(model, draft, child_id)


def _back_to_course(course: Course, anchor: str = "") -> Response:
    return redirect(url_for("authoring.edit_course", course_id=course.id) + (f"#{anchor}" if anchor else ""))


@bp.route("/")
@access(Access.STAFF, Permission.AUTHOR_COURSES)
def index() -> str:
    courses = services.editable_courses(db.session, current_user)
    drafts = {
        d.course_id: d
        for d in db.session.scalars(
            select(CourseDraft).where(CourseDraft.course_id.in_([c.id for c in courses]))
        )
    }
    return render_template("authoring/index.html", courses=courses, drafts=drafts)


@bp.route("/new", methods=["GET", "POST"])
@access(Access.STAFF, Permission.AUTHOR_COURSES)
def new_course() -> str | Response:
    form = NewCourseForm()
    if form.validate_on_submit():
        try:
            course = services.create_course(
                db.session,
                slug=form.slug.data or "",
                title=form.title.data,
                topic=form.topic.data,
                summary=form.summary.data,
                by=current_user,
            )
        except services.AuthoringError as exc:
            form.slug.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Course created. Add modules and lessons, then publish it."), "success")
            return _back_to_course(course)
    return render_template("authoring/new_course.html", form=form)


@bp.route("/<int:course_id>/", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_course(course_id: int) -> str | Response:
    course = _editable_course(course_id)
    draft = services.get_draft(db.session, course)
    if draft is None:
        # GETs never write: the draft of an imported course is started by a POST.
        return render_template("authoring/start.html", course=course, history_form=PublishForm())
    choices = [
        (c.id, c.title)
        for c in db.session.scalars(
            select(Course)
            .where(Course.id != course.id, Course.status == CourseStatus.PUBLISHED)
            .order_by(Course.title)
        )
    ]
    form = CourseSettingsForm(obj=draft if request.method == "GET" else None, prerequisite_choices=choices)
    if request.method == "GET":
        form.lock_version.data = str(draft.lock_version)
        form.show_exam_opening(draft.final_exam_opens)
    conflict = None
    if form.validate_on_submit():
        data = {f: getattr(form, f).data for f in services.COURSE_FIELDS}
        data["final_exam_opens"] = form.exam_opening()
        data["estimated_hours"] = float(data["estimated_hours"])
        data["prerequisite_ids"] = form.prerequisite_ids.data or []
        try:
            services.update_metadata(
                db.session, draft, data, expected_version=_int(form.lock_version.data), by=current_user
            )
            db.session.commit()
        except (services.EditConflictError, StaleDataError) as exc:
            conflict, draft = handle_edit_conflict(exc, form, lambda: _draft_or_404(course))
        else:
            flash(_("Course settings saved in the draft."), "success")
            return _back_to_course(course)
    return make_response(
        render_template(
            "authoring/edit_course.html",
            course=course,
            draft=draft,
            form=form,
            conflict=conflict,
            module_form=TitleForm(prefix="module"),
            lesson_form=TitleForm(prefix="lesson"),
            publish_form=PublishForm(),
            problems=services.publish_problems(draft),
            authors=services.course_authors(db.session, course),
            author_form=AuthorForm(),
        ),
        409 if conflict else 200,
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _conflict_message(exc: services.EditConflictError) -> str:
    who = exc.updated_by.full_name if exc.updated_by is not None else _("another trainer")
    when = format_datetime(exc.updated_at, "short") if exc.updated_at else ""
    return _(
        "%(who)s saved this at %(when)s, after you opened it. Your changes have NOT been saved. "
        "Compare with their version below, then save again to keep yours.",
        who=who,
        when=when,
    )


Versioned = TypeVar("Versioned", CourseDraft, DraftLesson, DraftQuiz, DraftQuestion)


def handle_edit_conflict(exc: Exception, form: Any, reload: Callable[[], Versioned]) -> tuple[str, Versioned]:
    """After a save lost to someone else's: roll back, reload what is stored now, say who saved it.

    ``exc`` is the service's EditConflictError (the form's version was old) or SQLAlchemy's
    StaleDataError (the row changed between our read and our write). The form's hidden
    version becomes the stored one, so saving again keeps the trainer's text.
    Returns the message and the stored object (to show "their version").
    """
    db.session.rollback()
    stored = reload()
    if not isinstance(exc, services.EditConflictError):
        exc = services.EditConflictError(
            stored.lock_version, getattr(stored, "updated_by", None), stored.updated_at
        )
    form.lock_version.data = str(exc.current_version)
    return _conflict_message(exc), stored


# --- structure --------------------------------------------------------------


@bp.post("/<int:course_id>/modules")
@access(Access.STAFF)
def add_module(course_id: int) -> Response:
    course = _editable_course(course_id)
    draft = services.ensure_draft(db.session, course, by=current_user)
    form = TitleForm(prefix="module")
    if not form.validate():
        flash(_("Give the module a title."), "error")
        return _back_to_course(course, "structure")
    module = services.add_module(db.session, draft, form.title.data, by=current_user)
    db.session.commit()
    flash(_("Module added."), "success")
    return _back_to_course(course, f"module-{module.id}")


@bp.route("/<int:course_id>/modules/<int:module_id>", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_module(course_id: int, module_id: int) -> str | Response:
    course, _draft, module = _editable_child(course_id, DraftModule, module_id)
    form = ModuleForm(obj=module)
    if form.validate_on_submit():
        services.update_module(
            db.session,
            module,
            title=form.title.data,
            title_en=form.title_en.data or "",
            summary=form.summary.data or "",
            by=current_user,
        )
        db.session.commit()
        flash(_("Module saved."), "success")
        return _back_to_course(course, f"module-{module.id}")
    return render_template("authoring/edit_module.html", course=course, module=module, form=form)


@bp.post("/<int:course_id>/modules/<int:module_id>/move/<direction>")
@access(Access.STAFF)
def move_module(course_id: int, module_id: int, direction: str) -> Response:
    if direction not in ("up", "down"):
        abort(404)
    course, _draft, module = _editable_child(course_id, DraftModule, module_id, start_draft=True)
    services.move_module(db.session, module, direction, by=current_user)
    db.session.commit()
    return _back_to_course(course, f"module-{module.id}")


@bp.post("/<int:course_id>/modules/<int:module_id>/delete")
@access(Access.STAFF)
def delete_module(course_id: int, module_id: int) -> Response:
    course, _draft, module = _editable_child(course_id, DraftModule, module_id, start_draft=True)
    services.remove_module(db.session, module, by=current_user)
    db.session.commit()
    flash(_("Module removed from the draft."), "success")
    return _back_to_course(course, "structure")


@bp.post("/<int:course_id>/modules/<int:module_id>/lessons")
@access(Access.STAFF)
def add_lesson(course_id: int, module_id: int) -> Response:
    course, _draft, module = _editable_child(course_id, DraftModule, module_id, start_draft=True)
    form = TitleForm(prefix="lesson")
    if not form.validate():
        flash(_("Give the lesson a title."), "error")
        return _back_to_course(course, f"module-{module.id}")
    lesson = services.add_lesson(db.session, module, form.title.data, by=current_user)
    db.session.commit()
    flash(_("Lesson added. Write its text now."), "success")
    return redirect(url_for("authoring.edit_lesson", course_id=course.id, lesson_id=lesson.id))


@bp.post("/<int:course_id>/lessons/<int:lesson_id>/move/<direction>")
@access(Access.STAFF)
def move_lesson(course_id: int, lesson_id: int, direction: str) -> Response:
    if direction not in ("up", "down"):
        abort(404)
    course, _draft, lesson = _editable_child(course_id, DraftLesson, lesson_id, start_draft=True)
    services.move_lesson(db.session, lesson, direction, by=current_user)
    db.session.commit()
    return _back_to_course(course, f"lesson-{lesson.id}")


@bp.post("/<int:course_id>/lessons/<int:lesson_id>/delete")
@access(Access.STAFF)
def delete_lesson(course_id: int, lesson_id: int) -> Response:
    course, _draft, lesson = _editable_child(course_id, DraftLesson, lesson_id, start_draft=True)
    services.remove_lesson(db.session, lesson, by=current_user)
    db.session.commit()
    flash(_("Lesson removed from the draft."), "success")
    return _back_to_course(course, "structure")


# --- lesson editor ----------------------------------------------------------


def _lesson_page(
    course: Course,
    lesson: DraftLesson,
    form: LessonForm,
    status: int,
    *,
    preview_html: str | None = None,
    conflict: str | None = None,
    theirs: DraftLesson | None = None,
) -> tuple[str, int]:
    return render_template(
        "authoring/edit_lesson.html",
        course=course,
        lesson=lesson,
        form=form,
        preview_html=preview_html,
        conflict=conflict,
        theirs=theirs,
    ), status


def _lesson_form(course_id: int, lesson_id: int) -> tuple[Course, DraftLesson, LessonForm]:
    course = _editable_course(course_id)
    lesson = draft_child_or_404(DraftLesson, _draft_or_404(course), lesson_id)
    form = LessonForm(obj=lesson if request.method == "GET" else None)
    if request.method == "GET":
        form.lock_version.data = str(lesson.lock_version)
    return course, lesson, form


@bp.route("/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_lesson(course_id: int, lesson_id: int) -> tuple[str, int] | Response:
    """The lesson editor; a POST here saves. Preview and image upload have their own buttons and URLs."""
    course, lesson, form = _lesson_form(course_id, lesson_id)
    if request.method == "GET":
        return _lesson_page(course, lesson, form, 200)
    if not form.validate():
        return _lesson_page(course, lesson, form, 400)
    try:
        services.save_lesson(
            db.session,
            lesson,
            title=form.title.data,
            estimated_minutes=form.estimated_minutes.data,
            required=form.required.data,
            body_markdown=form.body_markdown.data or "",
            expected_version=_int(form.lock_version.data),
            by=current_user,
        )
        db.session.commit()
    except (services.EditConflictError, StaleDataError) as exc:
        conflict, lesson = handle_edit_conflict(
            exc, form, lambda: draft_child_or_404(DraftLesson, _draft_or_404(course), lesson_id)
        )
        return _lesson_page(course, lesson, form, 409, conflict=conflict, theirs=lesson)
    flash(_("Lesson saved in the draft."), "success")
    return redirect(url_for("authoring.edit_lesson", course_id=course.id, lesson_id=lesson.id))


@bp.post("/<int:course_id>/lessons/<int:lesson_id>/preview-page")
@access(Access.STAFF)
def preview_lesson(course_id: int, lesson_id: int) -> tuple[str, int]:
    """The Preview button (no JavaScript needed): the editor again, the posted text rendered, nothing saved."""
    course, lesson, form = _lesson_form(course_id, lesson_id)
    if not form.validate():
        return _lesson_page(course, lesson, form, 400)
    html = services.render_lesson(course, lesson.module.key, form.body_markdown.data or "")
    return _lesson_page(course, lesson, form, 200, preview_html=html)


@bp.post("/<int:course_id>/lessons/<int:lesson_id>/image")
@access(Access.STAFF)
def upload_lesson_image(course_id: int, lesson_id: int) -> tuple[str, int]:
    """The Upload image button: store the image, add it to the posted text; the lesson is not saved yet."""
    course, lesson, form = _lesson_form(course_id, lesson_id)
    if not form.validate():
        return _lesson_page(course, lesson, form, 400)
    return _lesson_page(course, lesson, form, _handle_upload(course, form))


def _handle_upload(course: Course, form: LessonForm) -> int:
    file = form.image.data
    if file is None or not getattr(file, "filename", ""):
        form.image.errors.append(_("Choose an image file first."))
        return 400
    data = file.read(services.MAX_IMAGE_BYTES + 1)
    try:
        asset = services.store_image(db.session, course, data, by=current_user)
    except services.AuthoringError as exc:
        form.image.errors.append(str(exc))
        return 400
    db.session.commit()
    alt = (form.image_alt.data or "").replace("]", "").replace("[", "").strip() or _("Image")
    snippet = f"![{alt}](../{asset.path})"
    body = (form.body_markdown.data or "").rstrip("\n")
    form.body_markdown.data = f"{body}\n\n{snippet}\n" if body else f"{snippet}\n"
    flash(_("Image uploaded and added at the end of the text. Remember to save the lesson."), "success")
    return 200


@bp.post("/<int:course_id>/lessons/<int:lesson_id>/preview")
@access(Access.STAFF)
def preview_markdown(course_id: int, lesson_id: int) -> Response:
    """Live preview (JS): the posted Markdown rendered by the learners' renderer."""
    course = _editable_course(course_id)
    lesson = draft_child_or_404(DraftLesson, _draft_or_404(course), lesson_id)
    text = request.form.get("body_markdown", "")[:200_000]
    return jsonify(html=services.render_lesson(course, lesson.module.key, text))


@bp.route("/assets/<int:course_id>/<path:path>")
@access(Access.SIGNED_IN)  # like catalog.asset; a draft's images only to its authors (checked below)
def asset(course_id: int, path: str) -> Response:
    """Serve a course image with its sniffed type; drafts' images only to their authors."""
    course = _course_or_404(course_id)
    found = db.session.scalars(
        select(CourseAsset).where(CourseAsset.course_id == course.id, CourseAsset.path == path)
    ).first()
    if found is None:
        abort(404)
    if not can_view_course(current_user, course):
        abort(403)
    return asset_response(found)  # the same headers as the published image (lms.catalog.assets)


# --- preview as a learner -----------------------------------------------------


@bp.route("/<int:course_id>/preview")
@bp.route("/<int:course_id>/preview/<int:lesson_id>")
@access(Access.STAFF)
def preview(course_id: int, lesson_id: int | None = None) -> str | Response:
    course = _editable_course(course_id)
    draft = services.get_draft(db.session, course)
    if draft is None:
        return redirect(url_for("authoring.edit_course", course_id=course.id))
    lessons = [x for m in draft.modules for x in m.lessons]
    current = None
    if lesson_id is not None:
        current = draft_child_or_404(DraftLesson, draft, lesson_id)
    elif lessons:
        current = lessons[0]
    index = lessons.index(current) if current is not None else -1
    return render_template(
        "authoring/preview.html",
        course=course,
        draft=draft,
        lesson=current,
        prev_lesson=lessons[index - 1] if index > 0 else None,
        next_lesson=lessons[index + 1] if 0 <= index < len(lessons) - 1 else None,
    )


# --- publish, history, authors -------------------------------------------------


@bp.post("/<int:course_id>/publish")
@access(Access.STAFF)
def publish(course_id: int) -> Response:
    course = _editable_course(course_id)
    form = PublishForm()
    if not form.validate():
        abort(400)
    try:
        version = publishing.publish_draft(
            db.session,
            course,
            by=current_user,
            note=form.note.data or "",
            replace_newer=form.replace_newer.data,
        )
    except publishing.CourseFilesError as exc:
        db.session.rollback()
        for message in exc.messages():
            flash(message, "error")
        return _back_to_course(course, "publish")
    except services.AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_course(course, "publish")
    db.session.commit()
    flash(_("Version %(n)d published. Learners now see it.", n=version.number), "success")
    return _back_to_course(course)


@bp.post("/<int:course_id>/start")
@access(Access.STAFF)
def start_draft(course_id: int) -> Response:
    course = _editable_course(course_id)
    services.ensure_draft(db.session, course, by=current_user)
    db.session.commit()
    return _back_to_course(course)


@bp.post("/<int:course_id>/discard")
@access(Access.STAFF)
def discard(course_id: int) -> Response:
    course = _editable_course(course_id)
    services.discard_draft(db.session, course, by=current_user)
    db.session.commit()
    flash(_("Draft discarded; it now equals the published version."), "success")
    return _back_to_course(course)


@bp.route("/<int:course_id>/history")
@access(Access.STAFF)
def history(course_id: int) -> str:
    course = _editable_course(course_id)
    return render_template(
        "authoring/history.html", course=course, versions=services.version_history(db.session, course)
    )


@bp.post("/<int:course_id>/history/<int:number>/restore")
@access(Access.STAFF)
def restore(course_id: int, number: int) -> Response:
    course = _editable_course(course_id)
    try:
        services.restore_version(db.session, course, number, by=current_user)
    except services.AuthoringError as exc:
        flash(str(exc), "error")
        return redirect(url_for("authoring.history", course_id=course.id))
    db.session.commit()
    flash(_("Version %(n)d restored as the draft. Review it, then publish.", n=number), "success")
    return _back_to_course(course)


@bp.post("/<int:course_id>/authors")
@access(Access.STAFF)
def add_author(course_id: int) -> Response:
    """Admins assign authors."""
    course = _course_or_404(course_id)
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    form = AuthorForm()
    user = None
    if form.validate():
        user = db.session.scalars(select(User).where(User.username == form.username.data.strip())).first()
    if user is None:
        flash(_("No user with this username."), "error")
        return _back_to_course(course, "authors")
    try:
        services.add_author(db.session, course, user, by=current_user)
    except services.AuthoringError as exc:
        flash(str(exc), "error")
        return _back_to_course(course, "authors")
    db.session.commit()
    flash(_("%(name)s can now edit this course.", name=user.full_name), "success")
    return _back_to_course(course, "authors")


@bp.post("/<int:course_id>/authors/<int:user_id>/delete")
@access(Access.STAFF)
def remove_author(course_id: int, user_id: int) -> Response:
    course = _course_or_404(course_id)
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    user = db.get_or_404(User, user_id)
    services.remove_author(db.session, course, user, by=current_user)
    db.session.commit()
    flash(_("%(name)s is no longer an author of this course.", name=user.full_name), "success")
    return _back_to_course(course, "authors")


# --- quizzes and the question bank ---------------------------------------------


def _problem_messages(exc: bank.QuizValidationError) -> list[str]:
    return [f"{p.field}: {_(p.message)}" if p.field else _(p.message) for p in exc.problems]


@bp.route("/<int:course_id>/quizzes")
@access(Access.STAFF)
def quizzes(course_id: int) -> str | Response:
    course = _editable_course(course_id)
    draft = services.get_draft(db.session, course)
    if draft is None:
        return redirect(url_for("authoring.edit_course", course_id=course.id))
    return render_template(
        "authoring/quizzes.html",
        course=course,
        draft=draft,
        final=bank.quiz_for(draft, None),
        pools=bank.pool_report(draft),
        tags=sorted(bank.tag_counts(draft).items()),
        new_question_form=NewQuestionForm(),
        kinds={value: str(label) for value, label in kind_choices()},
    )


@bp.post("/<int:course_id>/quizzes/add/<target>")
@access(Access.STAFF)
def add_quiz(course_id: int, target: str) -> Response:
    course = _editable_course(course_id)
    draft = services.ensure_draft(db.session, course, by=current_user)
    module = None if target == "final" else draft_child_or_404(DraftModule, draft, _int(target))
    quiz = bank.add_quiz(db.session, draft, module, by=current_user)
    db.session.commit()
    flash(_("Quiz added. Set it up and add questions."), "success")
    return redirect(url_for("authoring.edit_quiz", course_id=course.id, quiz_id=quiz.id))


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_quiz(course_id: int, quiz_id: int) -> tuple[str, int] | Response:
    course, draft, quiz = _editable_child(course_id, DraftQuiz, quiz_id)
    form = QuizSettingsForm()
    if request.method == "GET":
        form.fill(quiz.settings)
        form.lock_version.data = str(quiz.lock_version)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            bank.save_quiz_settings(
                db.session,
                quiz,
                form.to_settings(),
                expected_version=_int(form.lock_version.data),
                by=current_user,
            )
            db.session.commit()
        except (services.EditConflictError, StaleDataError) as exc:
            message, quiz = handle_edit_conflict(
                exc, form, lambda: draft_child_or_404(DraftQuiz, _draft_or_404(course), quiz_id)
            )
            problems = [message]
            status = 409
        except bank.QuizValidationError as exc:
            db.session.rollback()
            problems = _problem_messages(exc)
            status = 400
        else:
            flash(_("Quiz settings saved in the draft."), "success")
            return redirect(url_for("authoring.quizzes", course_id=course.id) + f"#quiz-{quiz.id}")
    elif request.method == "POST":
        status = 400
    return render_template(
        "authoring/edit_quiz.html",
        course=course,
        quiz=quiz,
        form=form,
        problems=problems,
        tags=sorted(bank.tag_counts(draft).items()),
    ), status


@bp.post("/<int:course_id>/quizzes/<int:quiz_id>/delete")
@access(Access.STAFF)
def delete_quiz(course_id: int, quiz_id: int) -> Response:
    course = _editable_course(course_id)
    draft = _draft_or_404(course)
    bank.remove_quiz(db.session, draft_child_or_404(DraftQuiz, draft, quiz_id), by=current_user)
    db.session.commit()
    flash(_("Quiz removed from the draft."), "success")
    return redirect(url_for("authoring.quizzes", course_id=course.id))


def _render_question(
    course: Course,
    quiz: DraftQuiz,
    form: QuestionForm,
    question: DraftQuestion | None,
    problems: list[str],
    status: int,
) -> tuple[str, int]:
    return render_template(
        "authoring/edit_question.html",
        course=course,
        quiz=quiz,
        kind=form.kind,
        kind_label=form.kind.label,
        form=form,
        question=question,
        problems=problems,
    ), status


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/questions/new", methods=["GET", "POST"])
@access(Access.STAFF)
def new_question(course_id: int, quiz_id: int) -> tuple[str, int] | Response:
    course, _draft, quiz = _editable_child(course_id, DraftQuiz, quiz_id)
    try:
        kind = kinds.get(request.args.get("kind", "single"))
    except kinds.UnknownKindError:
        abort(404)
    form = question_form(kind)
    if request.method == "GET":
        form.lock_version.data = "0"
    if form.validate_on_submit():
        try:
            bank.save_question(db.session, quiz, None, form.to_data(), expected_version=None, by=current_user)
            db.session.commit()
        except bank.QuizValidationError as exc:
            db.session.rollback()
            return _render_question(course, quiz, form, None, _problem_messages(exc), 400)
        flash(_("Question saved in the draft."), "success")
        return redirect(url_for("authoring.quizzes", course_id=course.id) + f"#quiz-{quiz.id}")
    return _render_question(course, quiz, form, None, [], 400 if request.method == "POST" else 200)


@bp.route("/<int:course_id>/questions/<int:question_id>", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_question(course_id: int, question_id: int) -> tuple[str, int] | Response:
    course, _draft, question = _editable_child(course_id, DraftQuestion, question_id)
    quiz = question.quiz
    form = question_form(kinds.get(question.data["kind"]))
    if request.method == "GET":
        form.fill(question.data)
        form.lock_version.data = str(question.lock_version)
    if form.validate_on_submit():
        try:
            bank.save_question(
                db.session,
                quiz,
                question,
                form.to_data(),
                expected_version=_int(form.lock_version.data),
                by=current_user,
            )
            db.session.commit()
        except (services.EditConflictError, StaleDataError) as exc:
            message, question = handle_edit_conflict(
                exc, form, lambda: draft_child_or_404(DraftQuestion, _draft_or_404(course), question_id)
            )
            return _render_question(course, question.quiz, form, question, [message], 409)
        except bank.QuizValidationError as exc:
            db.session.rollback()
            return _render_question(course, quiz, form, question, _problem_messages(exc), 400)
        flash(_("Question saved in the draft."), "success")
        return redirect(url_for("authoring.quizzes", course_id=course.id) + f"#question-{question.id}")
    return _render_question(course, quiz, form, question, [], 400 if request.method == "POST" else 200)


@bp.post("/<int:course_id>/questions/<int:question_id>/delete")
@access(Access.STAFF)
def delete_question(course_id: int, question_id: int) -> Response:
    course, _draft, question = _editable_child(course_id, DraftQuestion, question_id)
    quiz_id = question.quiz_id
    bank.delete_question(db.session, question, by=current_user)
    db.session.commit()
    flash(_("Question removed from the draft."), "success")
    return redirect(url_for("authoring.quizzes", course_id=course.id) + f"#quiz-{quiz_id}")


@bp.post("/<int:course_id>/questions/<int:question_id>/move/<direction>")
@access(Access.STAFF)
def move_question(course_id: int, question_id: int, direction: str) -> Response:
    if direction not in ("up", "down"):
        abort(404)
    course, _draft, question = _editable_child(course_id, DraftQuestion, question_id)
    bank.move_question(db.session, question, direction, by=current_user)
    db.session.commit()
    return redirect(url_for("authoring.quizzes", course_id=course.id) + f"#question-{question.id}")


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/try", methods=["GET", "POST"])
@access(Access.STAFF)
def try_quiz(course_id: int, quiz_id: int) -> tuple[str, int]:
    """Take the draft quiz as a learner would; graded by the quiz engine, nothing recorded."""
    from lms.authoring import trial

    course, draft, quiz = _editable_child(course_id, DraftQuiz, quiz_id)
    if request.method == "POST":
        seed = _int(request.form.get("seed"))
        entries = trial.trial_entries(draft, quiz, seed)
        responses, errors = kinds.read_page(entries, request.form.getlist)
        result = trial.grade_trial(entries, responses, errors, int(quiz.settings.get("pass_mark", 0)))
        return render_template(
            "authoring/try_quiz.html",
            course=course,
            quiz=quiz,
            result=result,
            numbers=question_numbers(entries),
        ), 200
    seed = secrets.randbelow(2**31)
    entries = trial.trial_entries(draft, quiz, seed)
    return render_template(
        "authoring/try_quiz.html",
        course=course,
        quiz=quiz,
        seed=seed,
        questions=trial.public_questions(entries),
        numbers=question_numbers(entries),
        result=None,
    ), 200


# --- files round trip ----------------------------------------------------------------


def _zip_response(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/<int:course_id>/download")
@access(Access.STAFF)
def download(course_id: int) -> Response:
    """The published course as a ZIP (the exporter's folder)."""
    course = _editable_course(course_id)
    if course.version == 0:
        abort(404)
    return _zip_response(publishing.published_zip(db.session, course), f"{course.slug}-v{course.version}.zip")


@bp.route("/<int:course_id>/download-draft")
@access(Access.STAFF)
def download_draft(course_id: int) -> Response:
    """The draft as a ZIP in the same format (what the next publish imports)."""
    course = _editable_course(course_id)
    draft = _draft_or_404(course)
    return _zip_response(publishing.draft_zip(db.session, draft), f"{course.slug}-draft.zip")


@bp.route("/upload", methods=["GET", "POST"])
@access(Access.STAFF, Permission.AUTHOR_COURSES)
def upload() -> tuple[str, int] | Response:
    """Create or update a course from a ZIP: the same importer as the CLI."""
    form = UploadZipForm()
    limits = current_app.config.get("AUTHORING_ZIP_LIMITS") or ZipLimits()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        file = form.archive.data
        if file is None or not getattr(file, "filename", ""):
            problems = [_("Choose a ZIP file first.")]
            status = 400
        else:
            data = file.read(limits.max_upload_bytes + 1)
            try:
                course, change = publishing.upload_zip(db.session, data, by=current_user, limits=limits)
            except UnsafeZipError as exc:
                db.session.rollback()
                problems, status = [str(exc)], 400
            except publishing.CourseFilesError as exc:
                db.session.rollback()
                problems, status = exc.messages(), 400
            except services.AuthoringError as exc:
                db.session.rollback()
                problems, status = [str(exc)], 403
            else:
                db.session.commit()
                if change.action == "unchanged":
                    flash(_("The files equal the published version; nothing changed."), "success")
                elif change.action == "new":
                    flash(_("Course imported as version %(n)d.", n=change.new_version), "success")
                else:
                    flash(_("Version %(n)d imported from the files.", n=change.new_version), "success")
                return _back_to_course(course)
    return render_template("authoring/upload.html", form=form, problems=problems, limits=limits), status
