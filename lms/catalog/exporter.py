"""Write a course from the database back into a folder (the reverse of the importer).

The folder re-imports to the same content hash: import → export → import changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.importer import COURSE_FILE, MODULE_FILE
from lms.catalog.models import Course, CourseAsset, CourseStatus
from lms.catalog.parts import registered_parts


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML in the key order given, Unicode kept (readable Vietnamese)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def course_yaml(course: Course) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": course.slug,
        "title": course.title,
    }
    if course.title_en:
        data["title_en"] = course.title_en
    data["summary"] = course.summary
    if course.summary_en:
        data["summary_en"] = course.summary_en
    hours = float(course.estimated_hours)
    data.update(
        topic=course.topic,
        language=course.language,
        version=course.version,
        estimated_hours=int(hours) if hours.is_integer() else hours,
        certificate_validity_months=course.certificate_validity_months,
        prerequisites=sorted(link.required_course.slug for link in course.prerequisite_links),
        sequential_modules=course.sequential_modules,
        completion={
            "lessons": "required" if course.require_lessons else "none",
            "quizzes": "required" if course.require_quizzes else "none",
            "final_exam": "required" if course.require_final_exam else "none",
            "attendance": "required" if course.require_attendance else "none",
        },
    )
    if course.final_exam_opens != "modules":
        data["final_exam_opens"] = course.final_exam_opens
    if course.is_public:
        data["public"] = True
    if course.status != CourseStatus.PUBLISHED:
        data["status"] = course.status
    return data


class UnsafePathError(ValueError):
    """A slug, key or image path from the database would write outside the course folder."""


def child_path(base: Path, relative: str) -> Path:
    """base / relative, refusing anything that leaves base (.., absolute paths, empty names)."""
    parts = Path(relative).parts
    if not relative or Path(relative).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise UnsafePathError(relative)
    path = base / relative
    if not path.resolve().is_relative_to(base.resolve()):
        raise UnsafePathError(relative)
    return path


def export_course(session: Session, course: Course, target: Path) -> Path:
    """Write course into target/<slug>/ (created; existing files are overwritten)."""
    root = child_path(target, course.slug)
    root.mkdir(parents=True, exist_ok=True)
    (root / COURSE_FILE).write_text(dump_yaml(course_yaml(course)), encoding="utf-8")
    for module in course.modules:
        folder = child_path(root, module.key)
        folder.mkdir(exist_ok=True)
        meta: dict[str, Any] = {"title": module.title}
        if module.title_en:
            meta["title_en"] = module.title_en
        meta["order"] = module.position
        if module.summary:
            meta["summary"] = module.summary
        (folder / MODULE_FILE).write_text(dump_yaml(meta), encoding="utf-8")
        for lesson in module.lessons:
            front = dump_yaml(
                {
                    "title": lesson.title,
                    "order": lesson.position,
                    "estimated_minutes": lesson.estimated_minutes,
                    "required": lesson.required,
                }
            )
            text = f"---\n{front}---\n{lesson.body_markdown}"
            child_path(folder, f"{lesson.key}.md").write_text(text, encoding="utf-8")
    for asset in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id)):
        path = child_path(root, asset.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(asset.data)
    for part in registered_parts():
        part.export(session, course, root)
    return root
