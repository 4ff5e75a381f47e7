"""The draft as a course folder (courses/README.md format), and safe ZIP unpacking.

Publishing writes the draft to a temporary folder and runs the same importer
as ``flask lms courses import``; downloads and uploads use the same folders.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.authoring.models import CourseDraft, DraftQuiz
from lms.catalog.exporter import dump_yaml  # the CLI exporter's writer: a ZIP equals an export
from lms.catalog.models import Course, CourseAsset, CourseStatus
from lms.core.archives import (
    ArchiveBudget,
    ArchiveLimits,
    UnsafeArchiveError,
    member_path,
    read_member,
    vet_archive,
)

QUIZ_FILE = "quiz.yaml"
FINAL_FILE = "final_exam.yaml"


def draft_course_yaml(session: Session, draft: CourseDraft, *, version: int, status: str) -> dict[str, Any]:
    course = draft.course
    data: dict[str, Any] = {"slug": course.slug, "title": draft.title}
    if draft.title_en:
        data["title_en"] = draft.title_en
    data["summary"] = draft.summary
    if draft.summary_en:
        data["summary_en"] = draft.summary_en
    hours = float(draft.estimated_hours)
    ids = [i for i in draft.prerequisite_ids if i != course.id]
    slugs = sorted(session.scalars(select(Course.slug).where(Course.id.in_(ids)))) if ids else []
    data.update(
        topic=draft.topic,
        language=draft.language,
        version=version,
        estimated_hours=int(hours) if hours.is_integer() else hours,
        certificate_validity_months=draft.certificate_validity_months,
        prerequisites=slugs,
        sequential_modules=draft.sequential_modules,
        completion={
            "lessons": "required" if draft.require_lessons else "none",
            "quizzes": "required" if draft.require_quizzes else "none",
            "final_exam": "required" if draft.require_final_exam else "none",
            "attendance": "required" if draft.require_attendance else "none",
        },
    )
    if draft.final_exam_opens != "modules":
        data["final_exam_opens"] = draft.final_exam_opens
    if status != CourseStatus.PUBLISHED:
        data["status"] = status
    return data


def quiz_file_data(quiz: DraftQuiz) -> dict[str, Any]:
    """The quiz.yaml mapping of a draft quiz (settings, then its questions)."""
    data = dict(quiz.settings)
    data["questions"] = [dict(q.data) for q in quiz.questions]
    if not data["questions"]:
        del data["questions"]
    return data


def write_draft(
    session: Session, draft: CourseDraft, target: Path, *, version: int, status: str = CourseStatus.PUBLISHED
) -> Path:
    """Write the draft into target/<slug>/ and return that folder."""
    course = draft.course
    root = target / course.slug
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.yaml").write_text(
        dump_yaml(draft_course_yaml(session, draft, version=version, status=status)), encoding="utf-8"
    )
    module_keys = set()
    for module in draft.modules:
        module_keys.add(module.key)
        folder = root / module.key
        folder.mkdir(exist_ok=True)
        meta: dict[str, Any] = {"title": module.title}
        if module.title_en:
            meta["title_en"] = module.title_en
        meta["order"] = module.position
        if module.summary:
            meta["summary"] = module.summary
        (folder / "module.yaml").write_text(dump_yaml(meta), encoding="utf-8")
        for lesson in module.lessons:
            front = dump_yaml(
                {
                    "title": lesson.title,
                    "order": lesson.position,
                    "estimated_minutes": lesson.estimated_minutes,
                    "required": lesson.required,
                }
            )
            (folder / f"{lesson.key}.md").write_text(
                f"---\n{front}---\n{lesson.body_markdown}", encoding="utf-8"
            )
    for quiz in draft.quizzes:
        path = root / FINAL_FILE if quiz.module is None else root / quiz.module.key / QUIZ_FILE
        if quiz.module is not None and quiz.module.key not in module_keys:
            continue
        path.write_text(dump_yaml(quiz_file_data(quiz)), encoding="utf-8")
    for asset in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id)):
        top = PurePosixPath(asset.path).parts[0]
        if top != "media" and top not in module_keys:
            continue  # the image's module was removed from the draft
        path = root / asset.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(asset.data)
    return root


def zip_folder(folder: Path) -> bytes:
    """A ZIP whose single top-level folder is the course folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, str(PurePosixPath(folder.name) / path.relative_to(folder).as_posix()))
    return buffer.getvalue()


# --- safe unpacking ------------------------------------------------------------


# The one archive check of the site (lms.core.archives): course ZIPs use its default limits.
ZipLimits = ArchiveLimits
UnsafeZipError = UnsafeArchiveError
_member_path = member_path


def check_zip(data: bytes, limits: ZipLimits) -> zipfile.ZipFile:
    """Open and vet an uploaded course archive from its directory, without unpacking anything."""
    return vet_archive(data, limits)


def extract_zip(data: bytes, target: Path, limits: ZipLimits | None = None) -> Path:
    """Vet, then unpack into target; return the course folder (the one holding course.yaml).

    Members are written one by one with a hard cap on the bytes actually
    read, so a lying size field in the archive cannot exceed the limit.
    """
    limits = limits or ZipLimits()
    zf = check_zip(data, limits)
    target = target.resolve()
    budget = ArchiveBudget(limits)
    with zf:
        for info in zf.infolist():
            rel = _member_path(info.filename)
            dest = (target / rel).resolve()
            if not dest.is_relative_to(target):
                raise UnsafeZipError(_("File outside the course folder: %(name)s", name=info.filename))
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with dest.open("wb") as out:
                for chunk in read_member(zf, info, budget):
                    out.write(chunk)
    candidates = [p.parent for p in target.rglob("course.yaml") if "__MACOSX" not in p.parts]
    if not candidates:
        raise UnsafeZipError(_("The archive holds no course.yaml."))
    if len(candidates) > 1:
        raise UnsafeZipError(_("The archive holds more than one course; upload one course per file."))
    return candidates[0]
