"""People and unit import: CSV (UTF-8 ± BOM, UTF-16, Windows-1258) or XLSX, in bounded steps.

1. ``start_import`` stores the upload as JSON lines under instance/imports/ (one
   pass, constant memory) and checks the header.
2. ``validate_step`` checks the next ``max_rows`` rows, records every problem
   (row, column, code) and stages valid rows in ``training_import_rows``.
3. ``commit_import`` writes every staged row in one transaction (bulk INSERT /
   UPDATE by primary key), or nothing if any row had an error.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CompoundSelect, CursorResult, delete, func, insert, or_, select, union, update
from sqlalchemy.orm import Session

from lms.auth.models import ITQualification, Role, User, UserRole
from lms.core import audit
from lms.core.archives import UnsafeArchiveError
from lms.core.text import fold, normalise_spaces
from lms.db import utcnow
from lms.org.models import OrgUnit, UnitKind, path_within
from lms.org.services import create_unit, move_unit
from lms.training import xlsx
from lms.training.models import ImportIssue, ImportJob, ImportKind, ImportRow, ImportStatus

STEP_ROWS = 2000
MAX_ERRORS = 5000  # stop recording after this many problems (the file is rejected anyway)

# Column names (folded) accepted for each field; the first is the canonical English name.
PEOPLE_COLUMNS = {
    "full_name": ["full_name", "full name", "ho ten", "ho va ten", "ten"],
    "username": ["username", "user name", "ten dang nhap", "tai khoan"],
    "email": ["email", "e-mail", "thu dien tu"],
    "unit_code": ["unit_code", "unit code", "ma don vi", "don vi"],
    "job_title": ["job_title", "job title", "chuc danh", "chuc vu", "vi tri"],
    "it_qualification": ["it_qualification", "it qualification", "trinh do cntt", "trinh do tin hoc"],
}
UNIT_COLUMNS = {
    "code": ["code", "unit code", "ma", "ma don vi"],
    "name": ["name", "ten", "ten don vi"],
    "parent_code": ["parent_code", "parent code", "ma don vi cha", "ma cha", "don vi cha"],
    "kind": ["kind", "loai", "cap", "loai don vi"],
    "remote": ["remote", "vung sau vung xa", "vung sau, vung xa", "vung kho khan", "remote area"],
}
REQUIRED = {ImportKind.PEOPLE: ["full_name", "unit_code"], ImportKind.UNITS: ["code", "name"]}
# Characters read of each field's cells (one more is kept, so "too long" is still reported);
# a cell is never read further (lms.training.xlsx), whatever the file says (issue 14, item 3).
COLUMN_LIMITS = {
    "full_name": 200,
    "username": 80,
    "email": 255,
    "unit_code": 40,
    "job_title": 200,
    "it_qualification": 100,
    "code": 40,
    "name": 255,
    "parent_code": 40,
    "kind": 60,
    "remote": 60,
}
IGNORED_COLUMN_LIMIT = 16  # enough to tell an ignored cell from an empty one

QUALIFICATION_WORDS = {
    "thac si": ITQualification.MASTER,
    "master": ITQualification.MASTER,
    "dai hoc": ITQualification.BACHELOR,
    "bachelor": ITQualification.BACHELOR,
    "cao dang": ITQualification.COLLEGE,
    "college": ITQualification.COLLEGE,
    "trung cap": ITQualification.INTERMEDIATE,
    "intermediate": ITQualification.INTERMEDIATE,
    "": ITQualification.NONE,
    "khong": ITQualification.NONE,
    "chua co": ITQualification.NONE,
    "none": ITQualification.NONE,
}
KIND_WORDS = {
    "tinh": UnitKind.PROVINCE,
    "province": UnitKind.PROVINCE,
    "so": UnitKind.DEPARTMENT,
    "so, ban, nganh": UnitKind.DEPARTMENT,
    "ban": UnitKind.DEPARTMENT,
    "department": UnitKind.DEPARTMENT,
    "huyen": UnitKind.DISTRICT,
    "district": UnitKind.DISTRICT,
    "xa": UnitKind.COMMUNE,
    "phuong": UnitKind.COMMUNE,
    "dac khu": UnitKind.COMMUNE,
    "commune": UnitKind.COMMUNE,
    "phong": UnitKind.OFFICE,
    "office": UnitKind.OFFICE,
    "": UnitKind.OTHER,
    "khac": UnitKind.OTHER,
    "other": UnitKind.OTHER,
}
YES = {"co", "x", "1", "yes", "true", "y"}
NO = {"", "khong", "0", "no", "false", "n"}

# Problem codes → messages (translated when shown).
MESSAGES = {
    "missing_column": _l("The file has no column %(value)s."),
    "unknown_column": _l("Unknown column %(value)s (ignored)."),
    "required": _l("This value is required."),
    "too_long": _l("The value is too long."),
    "too_many_cells": _l("The row has more cells than the header."),
    "bad_email": _l("%(value)s is not a valid e-mail address."),
    "bad_username": _l("%(value)s is not a valid username (letters, digits, . _ - only)."),
    "need_login": _l("Give an e-mail address or a username."),
    "unknown_unit": _l("No unit has the code %(value)s."),
    "unit_out_of_scope": _l("Unit %(value)s is outside your part of the organisation."),
    "person_out_of_scope": _l("This person belongs to a unit outside your part of the organisation."),
    "duplicate": _l("Same person as row %(value)s."),
    "duplicate_unit": _l("Same unit code as row %(value)s."),
    "email_taken": _l("E-mail %(value)s belongs to another person."),
    "bad_qualification": _l("Unknown IT qualification %(value)s."),
    "bad_kind": _l("Unknown unit kind %(value)s."),
    "bad_remote": _l("Write có or không, not %(value)s."),
    "unknown_parent": _l("No unit has the parent code %(value)s (parents must come first)."),
    "parent_out_of_scope": _l("Parent unit %(value)s is outside your part of the organisation."),
    "cycle": _l("A unit cannot be moved under itself."),
    "empty_file": _l("The file has no rows."),
    "unreadable": _l("The file could not be read as CSV or XLSX."),
    "unsafe_archive": _l(
        "The XLSX file was refused before reading: it unpacks to far more data than an XLSX of people "
        "holds (a “zip bomb”?). Save it again from Excel, or send it as CSV."
    ),
}
COLUMN_LABELS = {
    "full_name": _l("Full name"),
    "username": _l("Username"),
    "email": _l("E-mail"),
    "unit_code": _l("Unit code"),
    "job_title": _l("Job title"),
    "it_qualification": _l("IT qualification"),
    "code": _l("Unit code"),
    "name": _l("Name"),
    "parent_code": _l("Parent unit code"),
    "kind": _l("Kind"),
    "remote": _l("Remote area"),
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USERNAME_RE = re.compile(r"^[a-z0-9._-]{2,80}$")


def issue_message(issue: ImportIssue) -> str:
    return str(MESSAGES.get(issue.code, issue.code)) % {"value": issue.value}


def column_label(name: str) -> str:
    return str(COLUMN_LABELS.get(name, name))


# --- reading files ---------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """BOM first; else strict UTF-8 over the whole file (streamed); else Windows-1258."""
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(1 << 16):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1258"
    return "utf-8"


def is_xlsx(path: Path) -> bool:
    return zipfile.is_zipfile(path)


class UploadNotSavedError(RuntimeError):
    """The upload could not be stored (disk full, read-only or missing folder): nothing was kept."""


# errno values that mean "the server cannot write here", not "the file is unreadable".
_STORAGE_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.EFBIG,
    errno.EACCES,
    errno.EPERM,
    errno.ENOENT,
}


def iter_rows(path: Path, cell_limits: dict[int, int] | None = None) -> tuple[str, Iterator[list[str]]]:
    """(encoding, iterator of rows as lists of strings) for a CSV or XLSX file.

    cell_limits maps a column index to the characters kept of its cells (plus one);
    the caller may fill it after reading the header. An XLSX is vetted as an
    archive first (``UnsafeArchiveError``) and never read past those limits.
    """
    limits = cell_limits if cell_limits is not None else {}

    def limit_for(col: int) -> int:
        return limits.get(col, xlsx.DEFAULT_CELL_LIMIT)

    if is_xlsx(path):
        return "xlsx", xlsx.read_rows(path, limit_for)
    encoding = detect_encoding(path)
    return encoding, _csv_rows(path, encoding, limit_for)


def _csv_rows(path: Path, encoding: str, limit_for: Callable[[int], int]) -> Iterator[list[str]]:
    with path.open("r", encoding=encoding, newline="") as f:
        sample = f.read(4096)
        f.seek(0)
        first = sample.splitlines()[0] if sample else ""
        delimiter = max([",", ";", "\t"], key=first.count) if first else ","
        for row in csv.reader(f, delimiter=delimiter):  # csv's own field limit: 128 KiB
            yield [cell[: limit_for(i) + 1] for i, cell in enumerate(row)]


def _map_header(header: list[str], kind: str) -> tuple[list[str | None], list[str]]:
    """Field name per column (None = ignored) and the unknown column names."""
    columns = PEOPLE_COLUMNS if kind == ImportKind.PEOPLE else UNIT_COLUMNS
    lookup = {alias: name for name, aliases in columns.items() for alias in aliases}
    fields: list[str | None] = []
    unknown = []
    for cell in header:
        key = fold(cell.replace("_", " ")).strip(" *:")
        name = lookup.get(key) or lookup.get(key.replace(" ", "_"))
        if name is None and key:
            unknown.append(cell)
        fields.append(name if name not in fields else None)
    return fields, unknown


# --- step 1: store --------------------------------------------------------------------


def start_import(
    session: Session,
    *,
    kind: str,
    filename: str,
    upload: IO[bytes],
    directory: Path,
    by: User,
    scope: OrgUnit | None,
    deactivate_missing: bool = False,
) -> ImportJob:
    """Store the upload, normalise it to JSON lines and check the header (constant memory).

    If the instance folder cannot be written (disk full, read-only), every file
    this call began is removed and ``UploadNotSavedError`` is raised; the caller
    rolls back, so no job row or half-written file remains.
    """
    job = ImportJob(
        kind=kind,
        filename=filename[:255],
        stored_path="",
        created_by_id=by.id,
        scope_unit_id=scope.id if scope else None,
        deactivate_missing=deactivate_missing and kind == ImportKind.PEOPLE,
        summary={},
    )
    session.add(job)
    session.flush()
    raw = directory / f"{job.id}.upload"
    normalised = directory / f"{job.id}.jsonl"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with raw.open("wb") as out:
            while chunk := upload.read(1 << 16):
                out.write(chunk)
    except OSError as exc:
        raw.unlink(missing_ok=True)
        raise UploadNotSavedError(str(exc)) from exc
    job.stored_path = str(normalised)
    issues: list[dict[str, Any]] = []
    total = 0
    cell_limits: dict[int, int] = {}
    try:
        job.encoding, rows = iter_rows(raw, cell_limits)
        header = next(rows, None)
        if header is None:
            issues.append({"row_no": 1, "column": "", "code": "empty_file", "value": ""})
        else:
            fields, _unknown = _map_header(header, kind)
            cell_limits.update(
                {i: COLUMN_LIMITS.get(f, 255) if f else IGNORED_COLUMN_LIMIT for i, f in enumerate(fields)}
            )
            for i in range(len(fields), len(fields) + 64):
                cell_limits[i] = IGNORED_COLUMN_LIMIT
            for name in REQUIRED[ImportKind(kind)]:
                if name not in fields:
                    issues.append({"row_no": 1, "column": name, "code": "missing_column", "value": name})
            if kind == ImportKind.PEOPLE and "email" not in fields and "username" not in fields:
                issues.append({"row_no": 1, "column": "email", "code": "missing_column", "value": "email"})
            with normalised.open("w", encoding="utf-8") as out:
                for row_no, row in enumerate(rows, start=2):
                    if not any(c.strip() for c in row):
                        continue
                    cells = {f: row[i] for i, f in enumerate(fields) if f and i < len(row)}
                    extra = any(c.strip() for c in row[len(fields) :])
                    out.write(json.dumps({"n": row_no, "c": cells, "x": extra}, ensure_ascii=False) + "\n")
                    total += 1
            if total == 0 and not issues:
                issues.append({"row_no": 1, "column": "", "code": "empty_file", "value": ""})
    except OSError as exc:
        if exc.errno not in _STORAGE_ERRNOS:
            issues.append({"row_no": 1, "column": "", "code": "unreadable", "value": ""})
        else:  # the normalised copy could not be written: keep nothing
            raw.unlink(missing_ok=True)
            normalised.unlink(missing_ok=True)
            raise UploadNotSavedError(str(exc)) from exc
    except UnsafeArchiveError as exc:
        issues.append({"row_no": 1, "column": "", "code": "unsafe_archive", "value": str(exc)})
    except (UnicodeError, csv.Error, zipfile.BadZipFile, KeyError, ValueError):
        issues.append({"row_no": 1, "column": "", "code": "unreadable", "value": ""})
    finally:
        raw.unlink(missing_ok=True)
    job.total_rows = total
    if issues:
        session.execute(insert(ImportIssue), [{"job_id": job.id, **i} for i in issues])
        job.error_count = len(issues)
        job.status = ImportStatus.INVALID
        job.finished_at = utcnow()
        normalised.unlink(missing_ok=True)
    audit.record(session, "import_started", actor_id=by.id, subject=f"import:{job.id}", kind=kind, rows=total)
    session.flush()
    return job


def _read_chunk(job: ImportJob, max_rows: int) -> tuple[list[dict[str, Any]], int]:
    rows = []
    with open(job.stored_path, "rb") as f:
        f.seek(job.offset)
        for _ in range(max_rows):
            line = f.readline()
            if not line:
                break
            rows.append(json.loads(line))
        return rows, f.tell()


# --- step 2: validate ------------------------------------------------------------------


class _Issues:
    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.rows: list[dict[str, Any]] = []

    def add(self, row_no: int, column: str, code: str, value: str = "") -> None:
        self.rows.append(
            {"job_id": self.job.id, "row_no": row_no, "column": column, "code": code, "value": value[:200]}
        )


def _clean(value: str | None) -> str:
    return normalise_spaces(value or "")


def _units_by_code(session: Session, codes: set[str]) -> dict[str, OrgUnit]:
    if not codes:
        return {}
    return {
        u.code.lower(): u for u in session.scalars(select(OrgUnit).where(func.lower(OrgUnit.code).in_(codes)))
    }


def validate_step(session: Session, job: ImportJob, *, max_rows: int = STEP_ROWS) -> None:
    """Validate and stage the next rows; a fixed number of statements per step."""
    if job.status != ImportStatus.VALIDATING:
        return
    rows, new_offset = _read_chunk(job, max_rows)
    scope = session.get(OrgUnit, job.scope_unit_id) if job.scope_unit_id else None
    issues = _Issues(job)
    if job.kind == ImportKind.PEOPLE:
        staged = _validate_people(session, job, rows, scope, issues)
    else:
        staged = _validate_units(session, job, rows, scope, issues)
    if staged:
        session.execute(insert(ImportRow), staged)
    if issues.rows and job.error_count < MAX_ERRORS:
        session.execute(insert(ImportIssue), issues.rows[: MAX_ERRORS - job.error_count])
    job.error_count += len(issues.rows)
    job.processed_rows += len(rows)
    job.offset = new_offset
    if len(rows) < max_rows or job.processed_rows >= job.total_rows:
        job.status = ImportStatus.READY if job.error_count == 0 else ImportStatus.INVALID
        if job.status == ImportStatus.INVALID:
            job.finished_at = utcnow()
            # Nothing will be written: drop the staged rows and the stored file now.
            session.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
            Path(job.stored_path).unlink(missing_ok=True)
    session.flush()


# --- step 2, row by row: typed rows and a table of pure per-field checks -----------------
#
# A check looks at one cleaned row and returns a problem or None; it needs no database,
# so tests/training/test_import_rows.py runs the tables directly. What needs the database
# (units by code, people already stored, rows staged by earlier steps) is looked up in bulk
# per step and judged afterwards (`_person_context_problems`, `_unit_context_problems`).

Problem = tuple[str, str, str]  # column, problem code (a key of MESSAGES), value shown


def _cleaned(cells: dict[str, Any], columns: dict[str, tuple[str, bool]]) -> dict[str, str]:
    """A staged row's cells as the row's fields: spaces normalised, some lower-cased."""
    out = {}
    for name, (column, lower) in columns.items():
        value = _clean(cells.get(column))
        out[name] = value.lower() if lower else value
    return out


@dataclass
class PersonRow:
    """One row of a people file, cleaned: spaces normalised; e-mail, username, unit code lower-case."""

    n: int
    full_name: str
    email: str
    username: str  # as given; "" = the person logs in with the e-mail
    unit_code: str
    job_title: str
    qualification_raw: str
    extra_cells: bool = False

    # field: (column of the file, lower-cased?)
    COLUMNS: ClassVar[dict[str, tuple[str, bool]]] = {
        "full_name": ("full_name", False),
        "email": ("email", True),
        "username": ("username", True),
        "unit_code": ("unit_code", True),
        "job_title": ("job_title", False),
        "qualification_raw": ("it_qualification", False),
    }

    @classmethod
    def read(cls, row: dict[str, Any]) -> PersonRow:
        return cls(n=row["n"], extra_cells=bool(row.get("x")), **_cleaned(row["c"], cls.COLUMNS))

    @property
    def login(self) -> str:
        return self.username or self.email

    @property
    def qualification(self) -> ITQualification | None:
        """The IT qualification from Vietnamese or English words, or the stored value itself."""
        qual = QUALIFICATION_WORDS.get(fold(self.qualification_raw))
        if qual is None and self.qualification_raw.lower() in set(ITQualification):
            qual = ITQualification(self.qualification_raw.lower())
        return qual


@dataclass
class UnitRow:
    """One row of a units file, cleaned (spaces normalised)."""

    n: int
    code: str
    name: str
    parent_code: str
    kind_raw: str
    remote_raw: str
    extra_cells: bool = False

    COLUMNS: ClassVar[dict[str, tuple[str, bool]]] = {
        "code": ("code", False),
        "name": ("name", False),
        "parent_code": ("parent_code", False),
        "kind_raw": ("kind", False),
        "remote_raw": ("remote", False),
    }

    @classmethod
    def read(cls, row: dict[str, Any]) -> UnitRow:
        return cls(n=row["n"], extra_cells=bool(row.get("x")), **_cleaned(row["c"], cls.COLUMNS))

    @property
    def key(self) -> str:
        return self.code.lower()

    @property
    def kind(self) -> UnitKind | None:
        kind = KIND_WORDS.get(fold(self.kind_raw))
        if kind is None and self.kind_raw.lower() in set(UnitKind):
            kind = UnitKind(self.kind_raw.lower())
        return kind

    @property
    def remote(self) -> bool | None:
        """True for có/x/1/yes, False for không/empty/0/no, None for anything else."""
        word = fold(self.remote_raw)
        return True if word in YES else False if word in NO else None


def _required(column: str, max_len: int | None = None) -> Callable[[Any], Problem | None]:
    def check(row: Any) -> Problem | None:
        value = getattr(row, column)
        if not value:
            return (column, "required", "")
        if max_len is not None and len(value) > max_len:
            return (column, "too_long", "")
        return None

    return check


def _at_most(column: str, max_len: int) -> Callable[[Any], Problem | None]:
    return lambda row: (column, "too_long", "") if len(getattr(row, column)) > max_len else None


def _matches(column: str, pattern: re.Pattern[str], code: str) -> Callable[[Any], Problem | None]:
    def check(row: Any) -> Problem | None:
        value = getattr(row, column)
        return (column, code, value) if value and not pattern.match(value) else None

    return check


PERSON_CHECKS: tuple[Callable[[PersonRow], Problem | None], ...] = (
    _required("full_name", max_len=200),
    _matches("email", EMAIL_RE, "bad_email"),
    _matches("username", USERNAME_RE, "bad_username"),
    lambda r: None if r.email or r.username else ("email", "need_login", ""),
    _required("unit_code"),
    _at_most("job_title", 200),
    lambda r: (
        None
        if r.qualification is not None
        else ("it_qualification", "bad_qualification", r.qualification_raw)
    ),
)

UNIT_CHECKS: tuple[Callable[[UnitRow], Problem | None], ...] = (
    _required("code", max_len=40),
    _required("name", max_len=255),
    lambda r: None if r.kind is not None else ("kind", "bad_kind", r.kind_raw),
    lambda r: None if r.remote is not None else ("remote", "bad_remote", r.remote_raw),
)


def row_problems(row: Any, checks: tuple[Callable[[Any], Problem | None], ...]) -> list[Problem]:
    """Every per-field problem of one row, in the table's order (pure)."""
    return [problem for check in checks if (problem := check(row)) is not None]


def _report(issues: _Issues, n: int, problems: list[Problem]) -> bool:
    """Record the problems of row n; True if there were none."""
    for column, code, value in problems:
        issues.add(n, column, code, value)
    return not problems


@dataclass
class _PeopleLookup:
    """What step 2 needs from the database for a batch of people rows, read in bulk."""

    units: dict[str, OrgUnit]
    seen: dict[str, int]  # "u:<login>" / "e:<email>" → first row that used it
    by_username: dict[str, tuple[int, str]]  # → (user id, unit path)
    by_email: dict[str, tuple[int, str]]

    @classmethod
    def load(cls, session: Session, job: ImportJob, rows: list[PersonRow]) -> _PeopleLookup:
        units = _units_by_code(session, {r.unit_code for r in rows if r.unit_code})
        keys = {r.login for r in rows if r.login}
        emails = {r.email for r in rows if r.email}
        lookup = cls(units, {}, {}, {})
        if not (keys or emails):
            return lookup
        # Earlier rows of the same file (staged by previous steps) with the same username or e-mail.
        for row_no, key, email in session.execute(
            select(ImportRow.row_no, ImportRow.key, ImportRow.email).where(
                ImportRow.job_id == job.id, or_(ImportRow.key.in_(keys), ImportRow.email.in_(emails))
            )
        ):
            lookup.seen.setdefault("u:" + key, row_no)
            if email:
                lookup.seen.setdefault("e:" + email, row_no)
        for uid, uname, uemail, upath in session.execute(
            select(User.id, User.username, User.email, OrgUnit.path)
            .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(or_(func.lower(User.username).in_(keys), func.lower(User.email).in_(emails | keys)))
        ):
            lookup.by_username[uname.lower()] = (uid, upath or "")
            if uemail:
                lookup.by_email[uemail.lower()] = (uid, upath or "")
        return lookup

    def match(self, r: PersonRow) -> tuple[tuple[int, str] | None, bool]:
        """The stored person this row names (by e-mail or username) and whether the two disagree."""
        by_name = self.by_username.get(r.login) if r.username or not r.email else None
        by_email = self.by_email.get(r.email) if r.email else None
        if by_name is None and r.email:
            by_name = self.by_username.get(r.email)
        clash = bool(by_email and by_name and by_email[0] != by_name[0])
        return by_email or by_name, clash


def _person_context_problems(
    r: PersonRow, lookup: _PeopleLookup, scope: OrgUnit | None
) -> tuple[list[Problem], OrgUnit | None, tuple[int, str] | None]:
    """Unit, duplicates and the matching stored person; then the row counts as seen."""
    problems: list[Problem] = []
    unit = lookup.units.get(r.unit_code) if r.unit_code else None
    if r.unit_code and unit is None:
        problems.append(("unit_code", "unknown_unit", r.unit_code.upper()))
    elif unit is not None and scope is not None and not unit.within(scope):
        problems.append(("unit_code", "unit_out_of_scope", unit.code))
    login_column = "email" if r.email else "username"
    dup = lookup.seen.get("u:" + r.login) or (lookup.seen.get("e:" + r.email) if r.email else None)
    if dup:
        problems.append((login_column, "duplicate", str(dup)))
    match, clash = lookup.match(r)
    if clash:
        problems.append(("email", "email_taken", r.email))
    if match and scope is not None and not path_within(match[1], scope):
        problems.append((login_column, "person_out_of_scope", ""))
    if r.login:
        lookup.seen.setdefault("u:" + r.login, r.n)
    if r.email:
        lookup.seen.setdefault("e:" + r.email, r.n)
    return problems, unit, match


def _validate_people(
    session: Session, job: ImportJob, rows: list[dict[str, Any]], scope: OrgUnit | None, issues: _Issues
) -> list[dict[str, Any]]:
    people = [PersonRow.read(r) for r in rows]
    ok = {}
    for p in people:
        if p.extra_cells:
            issues.add(p.n, "", "too_many_cells")
        ok[p.n] = _report(issues, p.n, row_problems(p, PERSON_CHECKS))
    lookup = _PeopleLookup.load(session, job, people)
    staged = []
    for p in people:
        problems, unit, match = _person_context_problems(p, lookup, scope)
        if _report(issues, p.n, problems) and ok[p.n] and unit is not None:
            staged.append(
                {
                    "job_id": job.id,
                    "row_no": p.n,
                    "key": p.login,
                    "email": p.email,
                    "user_id": match[0] if match else None,
                    "data": {
                        "full_name": p.full_name,
                        "email": p.email or None,
                        "unit_id": unit.id,
                        "job_title": p.job_title,
                        "it_qualification": str(p.qualification or ""),
                    },
                }
            )
    return staged


def _unit_context_problems(
    r: UnitRow, units: dict[str, OrgUnit], earlier: dict[str, int], scope: OrgUnit | None
) -> list[Problem]:
    """Duplicates within the file, scope, the parent (known, in scope, not a descendant)."""
    problems: list[Problem] = []
    if r.key and r.key in earlier:
        problems.append(("code", "duplicate_unit", str(earlier[r.key])))
    existing = units.get(r.key)
    if existing is not None and scope is not None and (not existing.within(scope) or existing.id == scope.id):
        problems.append(("code", "unit_out_of_scope", existing.code))
    parent = units.get(r.parent_code.lower()) if r.parent_code else None
    if r.parent_code and parent is None and r.parent_code.lower() not in earlier:
        problems.append(("parent_code", "unknown_parent", r.parent_code))
    if parent is not None and scope is not None and not parent.within(scope):
        problems.append(("parent_code", "parent_out_of_scope", parent.code))
    if not r.parent_code and scope is not None:
        problems.append(("parent_code", "required", ""))
    if existing is not None and parent is not None and parent.within(existing):
        problems.append(("parent_code", "cycle", ""))
    return problems


def _validate_units(
    session: Session, job: ImportJob, rows: list[dict[str, Any]], scope: OrgUnit | None, issues: _Issues
) -> list[dict[str, Any]]:
    unit_rows = [UnitRow.read(r) for r in rows]
    codes = {r.key for r in unit_rows} | {r.parent_code.lower() for r in unit_rows}
    codes.discard("")
    units = _units_by_code(session, codes)
    earlier: dict[str, int] = dict(
        session.execute(select(ImportRow.key, ImportRow.row_no).where(ImportRow.job_id == job.id))
        .tuples()
        .all()
    )
    staged = []
    for r in unit_rows:
        if r.extra_cells:
            issues.add(r.n, "", "too_many_cells")
        problems = row_problems(r, UNIT_CHECKS) + _unit_context_problems(r, units, earlier, scope)
        if r.key:
            earlier.setdefault(r.key, r.n)
        if _report(issues, r.n, problems):
            existing = units.get(r.key)
            staged.append(
                {
                    "job_id": job.id,
                    "row_no": r.n,
                    "key": r.key,
                    "email": "",
                    "user_id": existing.id if existing else None,
                    "data": {
                        "code": r.code,
                        "name": r.name,
                        "parent_code": r.parent_code.lower(),
                        "kind": str(r.kind),
                        "remote": bool(r.remote),
                    },
                }
            )
    return staged


# --- step 3: commit --------------------------------------------------------------------


def commit_import(
    session: Session, job: ImportJob, *, by: User, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Write every staged row (one transaction: the caller commits or rolls back)."""
    if job.status != ImportStatus.READY:
        raise ValueError("only a validated import without errors can be committed")
    if job.kind == ImportKind.PEOPLE:
        summary: dict[str, Any] = _commit_people(session, job, by, progress)
    else:
        summary = _commit_units(session, job, by, progress)
    job.status = ImportStatus.DONE
    job.finished_at = utcnow()
    job.summary = summary
    session.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
    Path(job.stored_path).unlink(missing_ok=True)
    audit.record(session, "import_committed", actor_id=by.id, subject=f"import:{job.id}", **summary)
    session.flush()
    return summary


def _staged_chunks(session: Session, job: ImportJob, size: int = 1000) -> Iterator[list[ImportRow]]:
    last = 0
    while True:
        chunk = list(
            session.scalars(
                select(ImportRow)
                .where(ImportRow.job_id == job.id, ImportRow.row_no > last)
                .order_by(ImportRow.row_no)
                .limit(size)
            )
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1].row_no
        for row in chunk:  # keep the identity map small: bounded memory
            session.expunge(row)


def _commit_people(
    session: Session, job: ImportJob, by: User, progress: Callable[[int], None] | None
) -> dict[str, int]:
    from lms.training.services import give_open_assignments_bulk

    created = updated = 0
    now = utcnow()
    for chunk in _staged_chunks(session, job):
        new = [r for r in chunk if r.user_id is None]
        old = [r for r in chunk if r.user_id is not None]
        if new:
            ids = session.scalars(
                insert(User).returning(User.id),
                [
                    {
                        "username": r.key,
                        "email": r.data["email"],
                        "full_name": r.data["full_name"],
                        "org_unit_id": r.data["unit_id"],
                        "job_title": r.data["job_title"],
                        "it_qualification": r.data["it_qualification"],
                        "password_hash": "",
                        "is_active": True,
                        "locale": "vi",
                        "session_version": 1,
                        "created_at": now,
                    }
                    for r in new
                ],
            ).all()
            session.execute(insert(UserRole), [{"user_id": uid, "role": Role.LEARNER.value} for uid in ids])
            created += len(new)
        if old:
            session.execute(
                update(User),
                [
                    {
                        "id": r.user_id,
                        "full_name": r.data["full_name"],
                        "org_unit_id": r.data["unit_id"],
                        "job_title": r.data["job_title"],
                        "it_qualification": r.data["it_qualification"],
                        "is_active": True,
                        **({"email": r.data["email"]} if r.data["email"] else {}),
                    }
                    for r in old
                ],
            )
            updated += len(old)
        if progress:
            progress(len(chunk))
    imported: CompoundSelect[Any] = union(
        select(ImportRow.user_id).where(ImportRow.job_id == job.id, ImportRow.user_id.is_not(None)),
        select(User.id).where(
            User.username.in_(
                select(ImportRow.key).where(ImportRow.job_id == job.id, ImportRow.user_id.is_(None))
            )
        ),
    )
    imported_ids = select(imported.subquery().c[0])
    deactivated = 0
    if job.deactivate_missing:
        scope = session.get(OrgUnit, job.scope_unit_id) if job.scope_unit_id else None
        in_scope = select(OrgUnit.id)
        if scope is not None:
            in_scope = in_scope.where(OrgUnit.within(scope))
        staff = select(UserRole.user_id).where(
            UserRole.role.in_([Role.ADMIN.value, Role.HR.value, Role.TRAINER.value])
        )
        deactivated = (
            cast(
                CursorResult[Any],
                session.execute(
                    update(User)
                    .where(
                        User.is_active.is_(True),
                        User.org_unit_id.in_(in_scope),
                        User.id.not_in(imported_ids),
                        User.id.not_in(staff),
                        User.id != by.id,
                    )
                    .values(is_active=False, session_version=User.session_version + 1)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            or 0
        )
    # New joiners and movers get their units' open assignments (set-based, not per person).
    give_open_assignments_bulk(session, imported_ids)
    session.expire_all()
    return {"created": created, "updated": updated, "deactivated": deactivated}


def _commit_units(
    session: Session, job: ImportJob, by: User, progress: Callable[[int], None] | None
) -> dict[str, int]:
    created = updated = 0
    by_code = {u.code.lower(): u for u in session.scalars(select(OrgUnit))}
    for chunk in _staged_chunks(session, job):
        for r in chunk:
            d = r.data
            parent = by_code.get(d["parent_code"]) if d["parent_code"] else None
            unit = by_code.get(r.key)
            if unit is None:
                unit = create_unit(
                    session,
                    code=d["code"],
                    name=d["name"],
                    kind=d["kind"],
                    parent=parent,
                    is_remote=d["remote"],
                )
                by_code[r.key] = unit
                created += 1
            else:
                unit.name, unit.kind, unit.is_remote = d["name"], d["kind"], d["remote"]
                if unit.parent_id != (parent.id if parent else None):
                    move_unit(session, unit, parent)
                    by_code = {u.code.lower(): u for u in session.scalars(select(OrgUnit))}
                updated += 1
        session.flush()
        if progress:
            progress(len(chunk))
    return {"created": created, "updated": updated, "deactivated": 0}


def job_in_scope(job: ImportJob, user: User) -> bool:
    """The officer who may see an import job: admin, or the same scope subtree."""
    if user.has_role(Role.ADMIN):
        return True
    return job.created_by_id == user.id or (
        job.scope_unit_id is not None and job.scope_unit_id == user.scope_unit_id
    )


def read_attendance_csv(upload: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of an attendance CSV (username or email, date, present) with their row numbers."""
    data = upload.read()
    try:
        text = (
            data.decode("utf-16")
            if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
            else data.decode("utf-8-sig")
        )
    except UnicodeDecodeError:
        text = data.decode("cp1258")
    first = text.splitlines()[0] if text else ""
    delimiter = max([",", ";", "\t"], key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [fold(h.replace("_", " ")) for h in next(reader, [])]
    aliases = {
        "login": {"username", "ten dang nhap", "email", "e-mail", "tai khoan"},
        "date": {"date", "ngay", "session date", "buoi"},
        "present": {"present", "co mat", "diem danh", "attended"},
    }
    idx = {
        name: next((i for i, h in enumerate(header) if h in names), None) for name, names in aliases.items()
    }
    for row_no, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        yield (
            row_no,
            {name: (row[i].strip() if i is not None and i < len(row) else "") for name, i in idx.items()},
        )
