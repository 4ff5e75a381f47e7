"""Publish, download and upload courses through the course-file importer/exporter.

The same functions as ``flask lms courses import/export`` (lms.catalog.importer,
lms.catalog.exporter) do the work, so a course published in the browser, a ZIP
uploaded, and a folder imported on the command line follow one set of rules.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.access import manages_course
from lms.auth.models import User
from lms.authoring import services
from lms.authoring.errors import AuthoringError
from lms.authoring.files import ZipLimits, extract_zip, write_draft, zip_folder
from lms.authoring.models import CourseAuthor, CourseDraft
from lms.catalog.exporter import export_course
from lms.catalog.importer import CourseChange, import_course, parse_course
from lms.catalog.models import Course, CourseStatus, CourseVersion
from lms.catalog.parts import ImportErrors, ImportProblem


class CourseFilesError(AuthoringError):
    """The importer refused the files; ``problems`` say where and why."""

    def __init__(self, problems: list[ImportProblem], root: str = "") -> None:
        self.problems = problems
        self.root = root
        super().__init__("; ".join(p.render() for p in problems))

    def messages(self) -> list[str]:
        """Problems translated, with paths shown relative to the course folder."""
        out = []
        for p in self.problems:
            where = p.file
            if self.root and where.startswith(self.root):
                where = where[len(self.root) :].lstrip("/") or where
            where = f"{where}:{p.line}" if p.line else where
            text = p.text(translate=True)
            out.append(f"{where}: {p.field}: {text}" if p.field else f"{where}: {text}")
        return out


def _import_folder(session: Session, folder: Path, *, by: User) -> tuple[Course, CourseChange]:
    errors = ImportErrors()
    parsed = parse_course(folder, errors)
    if errors or parsed is None:
        raise CourseFilesError(errors.problems, str(folder.parent))
    change = import_course(session, parsed, errors, by_id=by.id)
    if errors or change is None:
        raise CourseFilesError(errors.problems, str(folder.parent))
    course = session.scalars(select(Course).where(Course.slug == parsed.slug)).one()
    return course, change


def publish_draft(
    session: Session, course: Course, *, by: User, note: str = "", replace_newer: bool = False
) -> CourseVersion:
    """Write the draft as course files and import them as the next version.

    A draft started before a newer version was published (e.g. imported from
    files) is only published when ``replace_newer`` says so.
    """
    draft = services.ensure_draft(session, course, by=by)
    if draft.base_version < course.version and not replace_newer:
        raise AuthoringError(
            str(
                _l(
                    "Version %(n)d was published after this draft was started. Publishing would replace it: "
                    "tick the box to confirm, or discard the draft to start from version %(n)d.",
                    n=course.version,
                )
            )
        )
    problems = services.publish_problems(draft)
    if problems:
        raise AuthoringError(" ".join(problems))
    old = services.course_snapshot(session, course)
    new = services.draft_snapshot(session, draft)
    first = not _has_versions(session, course)
    changes = [str(_l("First version"))] if first else services.changes_between(old, new)
    if not first and not changes:
        raise AuthoringError(str(_l("There are no changes to publish.")))
    with tempfile.TemporaryDirectory(prefix="lms-publish-") as tmp:
        folder = write_draft(session, draft, Path(tmp), version=course.version + 1)
        _course, change = _import_folder(session, folder, by=by)
    if course.status != CourseStatus.PUBLISHED:
        course.status = CourseStatus.PUBLISHED
    version = session.scalars(
        select(CourseVersion).where(
            CourseVersion.course_id == course.id, CourseVersion.number == change.new_version
        )
    ).one()
    version.source = "editor"
    version.changes = "\n".join(([note.strip()] if note.strip() else []) + changes)
    draft.base_version = course.version
    draft.dirty = False
    services.record_publish(session, course, by=by)
    session.flush()
    return version


def _has_versions(session: Session, course: Course) -> bool:
    return (
        session.scalar(select(CourseVersion.id).where(CourseVersion.course_id == course.id).limit(1))
        is not None
    )


def published_zip(session: Session, course: Course) -> bytes:
    """The published course as a ZIP of its folder (the exporter's output)."""
    with tempfile.TemporaryDirectory(prefix="lms-export-") as tmp:
        return zip_folder(export_course(session, course, Path(tmp)))


def draft_zip(session: Session, draft: CourseDraft) -> bytes:
    """The draft as a ZIP in the same format (what the next publish would import)."""
    course = draft.course
    with tempfile.TemporaryDirectory(prefix="lms-export-") as tmp:
        status = CourseStatus.PUBLISHED if course.status == CourseStatus.PUBLISHED else CourseStatus.DRAFT
        return zip_folder(
            write_draft(session, draft, Path(tmp), version=max(course.version, 1), status=status)
        )


def upload_zip(
    session: Session, data: bytes, *, by: User, limits: ZipLimits | None = None
) -> tuple[Course, CourseChange]:
    """Create or update a course from an uploaded ZIP (vetted before unpacking).

    Updating needs edit rights on the existing course of that slug; a new course
    makes the uploader its author. A clean draft is reset to the new content.
    """
    with tempfile.TemporaryDirectory(prefix="lms-upload-") as tmp:
        folder = extract_zip(data, Path(tmp), limits)
        errors = ImportErrors()
        parsed = parse_course(folder, errors)
        if errors or parsed is None:
            raise CourseFilesError(errors.problems, str(folder.parent))
        existing = session.scalars(select(Course).where(Course.slug == parsed.slug)).first()
        if existing is not None and not manages_course(by, existing):
            raise AuthoringError(
                str(
                    _l(
                        "A course with the short name %(slug)s exists and you are not its author.",
                        slug=parsed.slug,
                    )
                )
            )
        change = import_course(session, parsed, errors, by_id=by.id)
        if errors or change is None:
            raise CourseFilesError(errors.problems, str(folder.parent))
    course = session.scalars(select(Course).where(Course.slug == parsed.slug)).one()
    if existing is None:
        session.add(CourseAuthor(course_id=course.id, user_id=by.id, added_by_id=by.id))
    version = session.scalars(
        select(CourseVersion).where(
            CourseVersion.course_id == course.id, CourseVersion.number == course.version
        )
    ).first()
    if version is not None and change.action != "unchanged":
        version.source = "upload"
    draft = services.get_draft(session, course)
    if draft is not None and not draft.dirty and change.action != "unchanged":
        services.discard_draft(session, course, by=by)
    session.flush()
    return course, change
