"""Read course folders (courses/README.md), validate them strictly, and load them.

Two steps, so that nothing is half-imported:

* ``parse_course(dir)`` reads every file of one course, validates it and renders
  its lessons, without touching the database. Every registered ``CoursePart``
  (quizzes) parses its own files here too. Problems name file, line and field.
* ``import_course(session, parsed)`` compares it with the database and writes a
  new version (or nothing when unchanged) in the caller's transaction; the CLI
  commits once per course.

Modules and lessons are matched by their folder/file names (``key``), so a new
version updates rows in place and learners keep their progress.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.assets import IMAGE_TYPES, check_image
from lms.catalog.differ import Change, diff_courses
from lms.catalog.models import (
    FINAL_EXAM_OPENINGS,
    Course,
    CourseAsset,
    CoursePrerequisite,
    CourseStatus,
    CourseVersion,
    Lesson,
    Module,
    Topic,
    exam_opening,
)
from lms.catalog.parts import ImportErrors, course_changed, registered_parts
from lms.catalog.yamlfile import (
    N_,
    Field,
    check_mapping,
    load_yaml,
    non_empty,
    not_negative,
    one_of,
    positive,
    slug,
)
from lms.core.html import plain_text, render_markdown
from lms.core.text import fold, nfc

COURSE_FILE = "course.yaml"
MODULE_FILE = "module.yaml"
MEDIA_DIR = "media"
# Files owned by CourseParts (the quiz feature): hashed here, parsed by the part.
PART_FILES_IN_COURSE = ("final_exam.yaml",)
PART_FILES_IN_MODULE = ("quiz.yaml",)
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.DOTALL | re.MULTILINE)
VERSION_ONLY = "version number raised"
OTHER_FILES = "quiz files changed"
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _opening_check(v: Any) -> tuple[str, dict[str, Any]] | None:
    if exam_opening(v) is not None:
        return None
    return N_("must be one of: %(choices)s"), {"choices": ", ".join((*FINAL_EXAM_OPENINGS, "YYYY-MM-DD"))}


COURSE_SPEC = {
    "slug": Field((str,), required=True, check=slug),
    "title": Field((str,), required=True, check=non_empty),
    "title_en": Field((str,), default=""),
    "summary": Field((str,), required=True, check=non_empty),
    "summary_en": Field((str,), default=""),
    "topic": Field((str,), required=True, check=one_of(*[t.value for t in Topic])),
    "language": Field((str,), required=True, check=one_of("vi", "en")),
    "version": Field((int,), required=True, check=positive),
    "estimated_hours": Field((int, float), required=True, check=positive),
    "certificate_validity_months": Field((int,), default=0, check=not_negative),
    "prerequisites": Field((list,), default=[]),
    "sequential_modules": Field((bool,), default=False),
    "final_exam_opens": Field((str, dt.date), default="modules", check=_opening_check),
    "public": Field((bool,), default=False),
    "completion": Field((dict,), default={}),
    "status": Field((str,), default=None, check=one_of(*[s.value for s in CourseStatus])),
}
COMPLETION_SPEC = {
    "lessons": Field((str,), default="required", check=one_of("required", "none")),
    "quizzes": Field((str,), default="required", check=one_of("required", "none")),
    "final_exam": Field((str,), default="required", check=one_of("required", "none")),
    "attendance": Field((str,), default="none", check=one_of("required", "none")),
}
MODULE_SPEC = {
    "title": Field((str,), required=True, check=non_empty),
    "title_en": Field((str,), default=""),
    "order": Field((int,), required=True),
    "summary": Field((str,), default=""),
}
LESSON_SPEC = {
    "title": Field((str,), required=True, check=non_empty),
    "order": Field((int,), required=True),
    "estimated_minutes": Field((int,), required=True, check=positive),
    "required": Field((bool,), default=True),
}


@dataclass
class ParsedLesson:
    key: str
    file: str
    title: str
    order: int
    estimated_minutes: int
    required: bool
    body: str
    body_line: int = 1
    html: str = ""


@dataclass
class ParsedModule:
    key: str
    file: str
    title: str
    title_en: str
    order: int
    summary: str
    lessons: list[ParsedLesson] = field(default_factory=list)


@dataclass
class ParsedAsset:
    path: str  # posix, relative to the course folder
    content_type: str
    data: bytes
    sha256: str


@dataclass
class ParsedCourse:
    dir: Path
    rel: str  # shown in messages
    meta: dict[str, Any]
    modules: list[ParsedModule]
    assets: dict[str, ParsedAsset]
    parts: dict[str, Any]
    content_hash: str
    part_files: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return str(self.meta["slug"])

    @property
    def version(self) -> int:
        return int(self.meta["version"])


@dataclass
class CourseChange:
    """What an import did (or, in a dry run, would do) to one course."""

    slug: str
    action: str  # "new" | "changed" | "unchanged"
    old_version: int | None
    new_version: int
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "; ".join(self.notes)


# ---------------------------------------------------------------------------
# Finding course folders


def find_course_dirs(paths: list[Path]) -> list[Path]:
    """Course folders under each path: the path itself if it has course.yaml,
    else its sub-folders with course.yaml, skipping names starting with _ or ."""
    found: list[Path] = []
    for path in paths:
        if (path / COURSE_FILE).is_file():
            found.append(path)
            continue
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.startswith(("_", ".")):
                    continue
                if (child / COURSE_FILE).is_file():
                    found.append(child)
    seen: set[Path] = set()
    unique = []
    for p in found:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(p)
    return unique


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------
# Parsing (no database)


def _read_text(path: Path, shown: str, errors: ImportErrors) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.add(shown, None, "", N_("cannot read file: %(detail)s"), detail=str(exc))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        errors.add(shown, None, "", N_("file is not UTF-8 text"))
        return None
    return nfc(text.lstrip("\ufeff"))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def _part_file_fingerprint(path: Path) -> Any:
    """Parsed YAML of a part file (formatting-independent), or its bytes' hash."""
    raw = path.read_bytes()
    try:
        return yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return hashlib.sha256(raw).hexdigest()


def parse_course(course_dir: Path, errors: ImportErrors) -> ParsedCourse | None:
    """Read and validate one course folder; None (with problems in errors) if broken."""
    rel = _display(course_dir)
    n_before = len(errors.problems)
    course_file = f"{rel}/{COURSE_FILE}"
    text = _read_text(course_dir / COURSE_FILE, course_file, errors)
    if text is None:
        return None
    doc = load_yaml(text, course_file, errors)
    if doc is None:
        return None
    meta = _parse_course_meta(doc, course_dir.name, course_file, errors)
    modules, assets, part_files = _parse_folder(course_dir, rel, errors)
    _check_module_orders(modules, errors)
    modules.sort(key=lambda m: (m.order, m.key))
    if not modules and meta is not None:
        errors.add(course_file, None, "", N_("a course needs at least one module folder"))
    if meta is not None and len(errors.problems) == n_before:
        _render_lessons(modules, assets, errors)
    parts = {part.name: part.parse(course_dir, Path(rel), errors) for part in registered_parts()}
    if meta is None or len(errors.problems) != n_before:
        return None
    content_hash = _content_hash(meta, modules, assets, _parts_fingerprint(parts, part_files))
    return ParsedCourse(course_dir, rel, meta, modules, assets, parts, content_hash, part_files)


def _parse_course_meta(doc: Any, folder_name: str, course_file: str, errors: ImportErrors) -> dict | None:
    """course.yaml checked against COURSE_SPEC; the slug names the folder; prerequisites are slugs."""
    meta = check_mapping(doc, doc.data, (), COURSE_SPEC, course_file, errors)
    if meta is None:
        return None
    meta["completion"] = check_mapping(
        doc, meta["completion"] or {}, ("completion",), COMPLETION_SPEC, course_file, errors
    )
    if meta["slug"] != folder_name:
        errors.add(
            course_file, doc.line("slug"), "slug", N_("must equal the folder name %(name)s"), name=folder_name
        )
    prereqs = meta["prerequisites"]
    for i, item in enumerate(prereqs):
        if not isinstance(item, str) or slug(item) is not None:
            message = N_("must be a course slug")
        elif item == meta["slug"]:
            message = N_("a course cannot require itself")
        else:
            continue
        errors.add(course_file, doc.line("prerequisites", i), f"prerequisites[{i}]", message)
    if len(set(prereqs)) != len(prereqs):
        errors.add(course_file, doc.line("prerequisites"), "prerequisites", N_("lists a course twice"))
    return meta


def _parse_folder(
    course_dir: Path, rel: str, errors: ImportErrors
) -> tuple[list[ParsedModule], dict[str, ParsedAsset], dict[str, Any]]:
    """The course folder's entries: module folders, media/, the parts' files; anything else is an error."""
    assets: dict[str, ParsedAsset] = {}
    modules: list[ParsedModule] = []
    part_files: dict[str, Any] = {}
    for entry in sorted(course_dir.iterdir()):
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_dir():
            if name == MEDIA_DIR:
                _parse_media(entry, course_dir, rel, assets, errors)
            elif (entry / MODULE_FILE).is_file():
                module = _parse_module(entry, course_dir, rel, assets, part_files, errors)
                if module is not None:
                    modules.append(module)
            else:
                errors.add(f"{rel}/{name}", None, "", N_("folder has no module.yaml (and is not media/)"))
        elif name == COURSE_FILE:
            continue
        elif name in PART_FILES_IN_COURSE:
            part_files[name] = _part_file_fingerprint(entry)
        else:
            errors.add(f"{rel}/{name}", None, "", N_("unexpected file in a course folder"))
    return modules, assets, part_files


def _check_module_orders(modules: list[ParsedModule], errors: ImportErrors) -> None:
    orders: dict[int, str] = {}
    for m in modules:
        if m.order in orders:
            errors.add(
                f"{m.file}/{MODULE_FILE}",
                None,
                "order",
                N_("same order as module %(other)s"),
                other=orders[m.order],
            )
        orders[m.order] = m.key


def _render_lessons(
    modules: list[ParsedModule], assets: dict[str, ParsedAsset], errors: ImportErrors
) -> None:
    lesson_keys = {(m.key, les.key) for m in modules for les in m.lessons}
    for m in modules:
        for les in m.lessons:
            les.html = _render_lesson(les, m.key, lesson_keys, assets, errors)


def _parse_media(folder: Path, course_dir: Path, rel: str, assets: dict, errors: ImportErrors) -> None:
    for entry in sorted(folder.rglob("*")):
        if entry.is_dir() or any(p.startswith(".") for p in entry.relative_to(folder).parts):
            continue
        _parse_asset(entry, course_dir, rel, assets, errors)


def _parse_asset(entry: Path, course_dir: Path, rel: str, assets: dict, errors: ImportErrors) -> None:
    path = entry.relative_to(course_dir).as_posix()
    data = entry.read_bytes()
    content_type, problems = check_image(entry.suffix, data)
    for p in problems:
        errors.add(f"{rel}/{path}", None, "", p)
    if content_type:
        assets[path] = ParsedAsset(path, content_type, data, hashlib.sha256(data).hexdigest())


def _parse_module(
    folder: Path, course_dir: Path, rel: str, assets: dict, part_files: dict, errors: ImportErrors
) -> ParsedModule | None:
    key = folder.name
    shown_dir = f"{rel}/{key}"
    module_file = f"{shown_dir}/{MODULE_FILE}"
    if not KEY_RE.match(key) or len(key) > 100:
        errors.add(shown_dir, None, "", N_("folder name must use letters, digits, dots, dashes"))
        return None
    text = _read_text(folder / MODULE_FILE, module_file, errors)
    doc = load_yaml(text, module_file, errors) if text is not None else None
    meta = check_mapping(doc, doc.data, (), MODULE_SPEC, module_file, errors) if doc else None
    lessons: list[ParsedLesson] = []
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name.startswith(".") or name == MODULE_FILE:
            continue
        if entry.is_dir():
            errors.add(f"{shown_dir}/{name}", None, "", N_("modules cannot contain folders"))
        elif name in PART_FILES_IN_MODULE:
            part_files[f"{key}/{name}"] = _part_file_fingerprint(entry)
        elif entry.suffix == ".md":
            lesson = _parse_lesson(entry, f"{shown_dir}/{name}", errors)
            if lesson is not None:
                lessons.append(lesson)
        elif entry.suffix.lower() in IMAGE_TYPES:
            _parse_asset(entry, course_dir, rel, assets, errors)
        else:
            errors.add(f"{shown_dir}/{name}", None, "", N_("unexpected file in a module folder"))
    orders: dict[int, str] = {}
    for les in lessons:
        if les.order in orders:
            errors.add(les.file, 2, "order", N_("same order as lesson %(other)s"), other=orders[les.order])
        orders[les.order] = les.key
    if not lessons:
        errors.add(shown_dir, None, "", N_("a module needs at least one lesson (.md file)"))
    if meta is None:
        return None
    lessons.sort(key=lambda x: (x.order, x.key))
    return ParsedModule(
        key,
        shown_dir,
        meta["title"].strip(),
        meta["title_en"].strip(),
        meta["order"],
        meta["summary"].strip(),
        lessons,
    )


def _parse_lesson(path: Path, shown: str, errors: ImportErrors) -> ParsedLesson | None:
    key = path.stem
    if not KEY_RE.match(key) or len(key) > 100:
        errors.add(shown, None, "", N_("file name must use letters, digits, dots, dashes"))
        return None
    text = _read_text(path, shown, errors)
    if text is None:
        return None
    match = FRONT_MATTER.match(text)
    if not match:
        errors.add(shown, 1, "", N_("lesson must start with YAML front matter between --- lines"))
        return None
    doc = load_yaml(match.group(1), shown, errors, line_offset=1)
    if doc is None:
        return None
    meta = check_mapping(doc, doc.data, (), LESSON_SPEC, shown, errors)
    body = text[match.end() :]
    body_line = text[: match.end()].count("\n") + 1
    if not body.strip():
        errors.add(shown, body_line, "", N_("lesson body is empty"))
        return None
    _check_headings(body, body_line, shown, errors)
    if meta is None:
        return None
    return ParsedLesson(
        key,
        shown,
        meta["title"].strip(),
        meta["order"],
        meta["estimated_minutes"],
        meta["required"],
        body,
        body_line,
    )


_md_check = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _check_headings(body: str, body_line: int, shown: str, errors: ImportErrors) -> None:
    for token in _md_check.parse(body):
        if token.type == "heading_open" and token.tag == "h1":
            line = body_line + (token.map[0] if token.map else 0)
            errors.add(shown, line, "", N_("headings start at ## (the lesson title is the page heading)"))


def _render_lesson(
    lesson: ParsedLesson,
    module_key: str,
    lesson_keys: set[tuple[str, str]],
    assets: dict[str, ParsedAsset],
    errors: ImportErrors,
) -> str:
    """Render the body; relative links become URLs relative to the lesson's page.

    A lesson is served at /courses/<slug>/learn/<module>/<lesson>, its images at
    /courses/<slug>/assets/<path>?v=<hash>, so the stored HTML works under any
    URL prefix.
    """

    def line_of(url: str) -> int | None:
        for i, text_line in enumerate(lesson.body.splitlines()):
            if url in text_line:
                return lesson.body_line + i
        return None

    def rewrite(url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme or url.startswith("#"):
            if parts.scheme in {"http", "https", "mailto"} or url.startswith("#"):
                return url
            errors.add(
                lesson.file, line_of(url), "", N_("link %(url)s: only http, https and mailto"), url=url
            )
            return None
        if url.startswith("/") or parts.netloc:
            errors.add(
                lesson.file, line_of(url), "", N_("link %(url)s: use a path relative to the lesson"), url=url
            )
            return None
        target = posixpath.normpath(posixpath.join(module_key, parts.path))
        frag = f"#{parts.fragment}" if parts.fragment else ""
        if target.startswith("../") or target == "..":
            errors.add(lesson.file, line_of(url), "", N_("link %(url)s points outside the course"), url=url)
            return None
        if target.endswith(".md"):
            m_key, _, file_name = target.rpartition("/")
            l_key = file_name[:-3]
            if (m_key, l_key) not in lesson_keys:
                errors.add(lesson.file, line_of(url), "", N_("link %(url)s: no such lesson"), url=url)
                return None
            return f"../{m_key}/{l_key}{frag}"
        asset = assets.get(target)
        if asset is None:
            errors.add(
                lesson.file, line_of(url), "", N_("link %(url)s: no such image in the course"), url=url
            )
            return None
        return f"../../assets/{target}?v={asset.sha256[:12]}"

    return render_markdown(lesson.body, rewrite_url=rewrite)


def _parts_fingerprint(parts: dict[str, Any], part_files: dict[str, Any]) -> dict[str, Any]:
    """What of the course parts goes into the content hash.

    A part that offers ``fingerprint(parsed)`` is hashed by its normalised parsed
    content, so that a file written with or without keys at their default value
    hashes the same; if any registered part lacks it, the part files' parsed YAML
    is hashed as well (formatting-independent, but not default-independent).
    """
    data: dict[str, Any] = {}
    raw_needed = False
    for part in registered_parts():
        fingerprint = getattr(part, "fingerprint", None)
        if fingerprint is None:
            raw_needed = True
        else:
            data[part.name] = fingerprint(parts[part.name])
    if raw_needed:
        data["files"] = part_files
    return data


def _content_hash(
    meta: dict[str, Any],
    modules: list[ParsedModule],
    assets: dict[str, ParsedAsset],
    parts: dict[str, Any],
) -> str:
    data = {
        "meta": {k: v for k, v in meta.items() if k not in {"version", "status"}},
        "modules": [
            {
                "key": m.key,
                "title": m.title,
                "title_en": m.title_en,
                "order": m.order,
                "summary": m.summary,
                "lessons": [
                    {
                        "key": les.key,
                        "title": les.title,
                        "order": les.order,
                        "minutes": les.estimated_minutes,
                        "required": les.required,
                        "body": les.body.strip(),
                    }
                    for les in m.lessons
                ],
            }
            for m in modules
        ],
        "assets": {p: a.sha256 for p, a in sorted(assets.items())},
        "parts": parts,
    }
    return hashlib.sha256(_canonical(data).encode()).hexdigest()


# ---------------------------------------------------------------------------
# Ordering several courses (prerequisites first)


def order_by_prerequisites(courses: list[ParsedCourse], errors: ImportErrors) -> list[ParsedCourse]:
    """Courses sorted so that each comes after the courses it requires; cycles are errors."""
    by_slug = {c.slug: c for c in courses}
    done: list[ParsedCourse] = []
    state: dict[str, int] = {}

    def visit(c: ParsedCourse, chain: list[str]) -> bool:
        if state.get(c.slug) == 2:
            return True
        if state.get(c.slug) == 1:
            errors.add(
                f"{c.rel}/{COURSE_FILE}",
                None,
                "prerequisites",
                N_("prerequisites form a cycle: %(cycle)s"),
                cycle=" → ".join([*chain, c.slug]),
            )
            return False
        state[c.slug] = 1
        ok = all(visit(by_slug[p], [*chain, c.slug]) for p in c.meta["prerequisites"] if p in by_slug)
        state[c.slug] = 2
        if ok:
            done.append(c)
        return ok

    for c in courses:
        visit(c, [])
    return done


# ---------------------------------------------------------------------------
# Loading (one course, in the caller's transaction)


def plan_course(session: Session, parsed: ParsedCourse, errors: ImportErrors) -> CourseChange | None:
    """What importing parsed would change; checks prerequisites exist. No writes."""
    course = session.scalars(select(Course).where(Course.slug == parsed.slug)).first()
    missing = [
        p
        for p in parsed.meta["prerequisites"]
        if session.scalars(select(Course.id).where(Course.slug == p)).first() is None
    ]
    if missing:
        errors.add(
            f"{parsed.rel}/{COURSE_FILE}",
            None,
            "prerequisites",
            N_("unknown course(s): %(slugs)s (import them first or together)"),
            slugs=", ".join(missing),
        )
        return None
    if course is None:
        n_lessons = sum(len(m.lessons) for m in parsed.modules)
        return CourseChange(
            parsed.slug,
            "new",
            None,
            parsed.version,
            [f"new course: {len(parsed.modules)} modules, {n_lessons} lessons, {len(parsed.assets)} images"],
        )
    status_change = parsed.meta["status"] is not None and parsed.meta["status"] != course.status
    if course.content_hash == parsed.content_hash and parsed.version <= course.version:
        change = CourseChange(parsed.slug, "unchanged", course.version, course.version)
        if status_change:
            change.notes.append(f"status: {course.status} → {parsed.meta['status']}")
        return change
    new_version = max(parsed.version, course.version + 1)
    change = CourseChange(parsed.slug, "changed", course.version, new_version, _diff(session, course, parsed))
    if parsed.version != new_version:
        change.warnings.append(
            f"course.yaml says version {parsed.version}; recorded as version {new_version} "
            "(bump `version` when content changes)"
        )
    if status_change:
        change.notes.append(f"status: {course.status} → {parsed.meta['status']}")
    if not change.notes:
        change.notes.append(VERSION_ONLY if course.content_hash == parsed.content_hash else OTHER_FILES)
    return change


def _diff(session: Session, course: Course, parsed: ParsedCourse) -> list[str]:
    return import_notes(diff_courses(_stored_view(session, course), _parsed_view(parsed)))


# The course settings an import compares, in the order its notes name them.
_IMPORT_FIELDS = (
    "title",
    "title_en",
    "summary",
    "summary_en",
    "topic",
    "language",
    "estimated_hours",
    "certificate_validity_months",
    "sequential_modules",
    "final_exam_opens",
    "public",
)


def _stored_view(session: Session, course: Course) -> dict[str, Any]:
    """The stored course in the differ's snapshot form, with positions and image hashes."""
    values = {
        "title": course.title,
        "title_en": course.title_en,
        "summary": course.summary,
        "summary_en": course.summary_en,
        "topic": course.topic,
        "language": course.language,
        "estimated_hours": float(course.estimated_hours),
        "certificate_validity_months": course.certificate_validity_months,
        "sequential_modules": course.sequential_modules,
        "final_exam_opens": course.final_exam_opens,
        "public": course.is_public,
        "completion": (
            course.require_lessons,
            course.require_quizzes,
            course.require_final_exam,
            course.require_attendance,
        ),
        "prerequisites": sorted(link.required_course.slug for link in course.prerequisite_links),
    }
    modules = [
        {
            "key": m.key,
            "title": m.title,
            "title_en": m.title_en,
            "position": m.position,
            "summary": m.summary,
            "lessons": [
                {
                    "key": les.key,
                    "title": les.title,
                    "position": les.position,
                    "estimated_minutes": les.estimated_minutes,
                    "required": les.required,
                    "body": les.body_markdown.strip(),
                }
                for les in m.lessons
            ],
        }
        for m in course.modules
    ]
    assets = dict(
        session.execute(
            select(CourseAsset.path, CourseAsset.sha256).where(CourseAsset.course_id == course.id)
        )
        .tuples()
        .all()
    )
    return {"course": values, "modules": modules, "assets": assets}


def _parsed_view(parsed: ParsedCourse) -> dict[str, Any]:
    """The course files in the same form as ``_stored_view``."""
    meta = parsed.meta
    values = {k: _meta_value(meta, k) for k in _IMPORT_FIELDS}
    values["completion"] = _completion_flags(meta)
    values["prerequisites"] = sorted(meta["prerequisites"])
    modules = [
        {
            "key": m.key,
            "title": m.title,
            "title_en": m.title_en,
            "position": m.order,
            "summary": m.summary,
            "lessons": [
                {
                    "key": les.key,
                    "title": les.title,
                    "position": les.order,
                    "estimated_minutes": les.estimated_minutes,
                    "required": les.required,
                    "body": les.body.strip(),
                }
                for les in m.lessons
            ],
        }
        for m in parsed.modules
    ]
    assets = {path: a.sha256 for path, a in parsed.assets.items()}
    return {"course": values, "modules": modules, "assets": assets}


def import_notes(changes: list[Change]) -> list[str]:
    """The differ's changes as the importer's short English notes (CLI output, stored per version;
    pages translate them with ``lms.catalog.changes``)."""

    def keys(what: str, action: str) -> list[str]:
        return [c.key for c in changes if (c.what, c.action) == (what, action)]

    notes: list[str] = []
    if settings := keys("course", "changed"):
        notes.append("course: " + ", ".join(settings) + " changed")
    for label, what, action in (
        ("modules added", "module", "added"),
        ("modules removed", "module", "removed"),
        ("lessons added", "lesson", "added"),
        ("lessons removed", "lesson", "removed"),
    ):
        if found := keys(what, action):
            notes.append(f"{label}: " + ", ".join(found))
    edited = [
        f"{c.key}/{MODULE_FILE}" if c.what == "module" else c.key
        for c in changes
        if c.action == "changed" and c.what in ("module", "lesson")
    ]
    if edited:
        notes.append("changed: " + ", ".join(edited))
    for c in changes:
        if c.what == "images":
            added, changed, removed = c.counts
            notes.append(f"images: {added} added, {changed} changed, {removed} removed")
    return notes


def _meta_value(meta: dict[str, Any], key: str) -> Any:
    value = meta[key]
    if key == "estimated_hours":
        return float(value)
    if key == "final_exam_opens":
        return exam_opening(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _completion_flags(meta: dict[str, Any]) -> tuple[bool, bool, bool, bool]:
    c = meta["completion"]
    return (
        c["lessons"] == "required",
        c["quizzes"] == "required",
        c["final_exam"] == "required",
        c["attendance"] == "required",
    )


def import_course(
    session: Session, parsed: ParsedCourse, errors: ImportErrors, *, by_id: int | None = None
) -> CourseChange | None:
    """Write parsed into the database (flush only). Returns what changed, None on error."""
    change = plan_course(session, parsed, errors)
    if change is None:
        return None
    course = session.scalars(select(Course).where(Course.slug == parsed.slug)).first()
    if change.action == "unchanged":
        if course is not None and parsed.meta["status"] and parsed.meta["status"] != course.status:
            course.status = parsed.meta["status"]
            session.flush()
        return change
    course = _sync_course_fields(session, course, parsed, change.new_version)
    _sync_prerequisites(session, course, parsed.meta["prerequisites"])
    modules = _sync_tree(session, course, parsed.modules)
    _sync_assets(session, course, parsed.assets)

    for part in registered_parts():
        notes = part.load(session, course, parsed.parts.get(part.name), modules)
        if notes and change.action == "changed":
            change.notes.extend(notes)
    if OTHER_FILES in change.notes and len(change.notes) > 1:
        change.notes.remove(OTHER_FILES)

    session.add(
        CourseVersion(
            course_id=course.id,
            number=change.new_version,
            created_by_id=by_id,
            source="import",
            content_hash=parsed.content_hash,
            changes="\n".join(change.notes),
        )
    )
    session.flush()
    course_changed.send(course, session=session, change=change)
    return change


def _sync_course_fields(
    session: Session, course: Course | None, parsed: ParsedCourse, version: int
) -> Course:
    """The course row (created if new) takes course.yaml's settings, the version and the hash."""
    meta = parsed.meta
    if course is None:
        course = Course(slug=parsed.slug, status=meta["status"] or CourseStatus.PUBLISHED)
        session.add(course)
    elif meta["status"]:
        course.status = meta["status"]
    course.title = meta["title"].strip()
    course.title_en = meta["title_en"].strip()
    course.summary = meta["summary"].strip()
    course.summary_en = meta["summary_en"].strip()
    course.topic = meta["topic"]
    course.language = meta["language"]
    course.estimated_hours = float(meta["estimated_hours"])
    course.certificate_validity_months = meta["certificate_validity_months"]
    course.sequential_modules = meta["sequential_modules"]
    course.final_exam_opens = exam_opening(meta["final_exam_opens"]) or "modules"
    course.is_public = meta["public"]
    (
        course.require_lessons,
        course.require_quizzes,
        course.require_final_exam,
        course.require_attendance,
    ) = _completion_flags(meta)
    course.version = version
    course.content_hash = parsed.content_hash
    course.search_text = fold(
        " ".join(
            [course.title, course.title_en, course.summary, course.summary_en]
            + [m.title for m in parsed.modules]
            + [les.title for m in parsed.modules for les in m.lessons]
        )
    )
    session.flush()
    return course


def _sync_prerequisites(session: Session, course: Course, slugs: list[str]) -> None:
    """Keep the links still wanted, drop the others, add the new ones (plan_course checked they exist)."""
    wanted = set(slugs)
    for link in list(course.prerequisite_links):
        if link.required_course.slug not in wanted:
            course.prerequisite_links.remove(link)
        else:
            wanted.discard(link.required_course.slug)
    for p in sorted(wanted):
        required = session.scalars(select(Course).where(Course.slug == p)).one()
        course.prerequisite_links.append(CoursePrerequisite(required_course_id=required.id))


def _sync_tree(session: Session, course: Course, parsed_modules: list[ParsedModule]) -> dict[str, Module]:
    """Modules and lessons matched by key: updated in place, added, or removed. Returns modules by key."""
    old_modules = {m.key: m for m in course.modules}
    modules: dict[str, Module] = {}
    for pm in parsed_modules:
        module = old_modules.pop(pm.key, None)
        if module is None:
            module = Module(key=pm.key)
            course.modules.append(module)
        module.title, module.title_en, module.position, module.summary = (
            pm.title,
            pm.title_en,
            pm.order,
            pm.summary,
        )
        modules[pm.key] = module
        _sync_lessons(course, module, pm)
    for gone_module in old_modules.values():
        course.modules.remove(gone_module)
    course.modules.sort(key=lambda m: m.position)
    session.flush()
    return modules


def _sync_lessons(course: Course, module: Module, pm: ParsedModule) -> None:
    old_lessons = {les.key: les for les in module.lessons}
    for pl in pm.lessons:
        lesson = old_lessons.pop(pl.key, None)
        if lesson is None:
            lesson = Lesson(key=pl.key)
            module.lessons.append(lesson)
        lesson.course_id = course.id
        lesson.title, lesson.position = pl.title, pl.order
        lesson.estimated_minutes, lesson.required = pl.estimated_minutes, pl.required
        lesson.body_markdown, lesson.body_html = pl.body, pl.html
        lesson.search_text = fold(pl.title + " " + plain_text(pl.html))
    for gone in old_lessons.values():
        module.lessons.remove(gone)


def _sync_assets(session: Session, course: Course, parsed_assets: dict[str, ParsedAsset]) -> None:
    """Images by path: new ones added, changed ones replaced, the others deleted."""
    existing = {
        a.path: a for a in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id))
    }
    for path, pa in parsed_assets.items():
        asset = existing.pop(path, None)
        if asset is None:
            session.add(
                CourseAsset(
                    course_id=course.id,
                    path=path,
                    content_type=pa.content_type,
                    sha256=pa.sha256,
                    data=pa.data,
                )
            )
        elif asset.sha256 != pa.sha256:
            asset.content_type, asset.sha256, asset.data = pa.content_type, pa.sha256, pa.data
    for asset in existing.values():
        session.delete(asset)
    session.flush()
