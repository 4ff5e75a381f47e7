"""Full-text search over lesson text: SQLite FTS5, PostgreSQL tsvector; both over the folded text.

``lessons.search_text`` holds each lesson's title and plain text folded by ``lms.core.text.fold``
(lower case, no diacritics, đ→d; written by the importer, so also by publishing from the editor).
The index is built over that column, so a query without diacritics finds "chữ ký số" on both
databases without PostgreSQL's ``unaccent`` (which needs a superuser to install) — decision 1608:

* SQLite: the FTS5 table ``lesson_fts`` (external content ``lessons``, rowid = lesson id), kept in
  sync by three triggers on ``lessons``; ranked by ``bm25``.
* PostgreSQL: the generated column ``lessons.search_vector`` =
  ``to_tsvector('simple', search_text)`` with a GIN index; ranked by ``ts_rank``.

Both are created by the migration ``1606_lesson_fts`` (``install``) and are not on the models (the
migration test ignores them through ``include_object``). The snippet is cut from the lesson's
original text around the first match, the matched words in ``<mark>``.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import Float, Integer, Subquery, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lms.core.text import fold

FTS_TABLE = "lesson_fts"
PG_COLUMN = "search_vector"
PG_INDEX = "ix_lessons_search_vector"
MAX_TOKENS = 8
_TOKEN = re.compile(r"\w+")

SQLITE_INSTALL = (
    "CREATE VIRTUAL TABLE lesson_fts USING fts5(search_text, content='lessons', content_rowid='id')",
    """CREATE TRIGGER lessons_fts_insert AFTER INSERT ON lessons BEGIN
        INSERT INTO lesson_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
    """CREATE TRIGGER lessons_fts_delete AFTER DELETE ON lessons BEGIN
        INSERT INTO lesson_fts(lesson_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END""",
    """CREATE TRIGGER lessons_fts_update AFTER UPDATE OF search_text ON lessons BEGIN
        INSERT INTO lesson_fts(lesson_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO lesson_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
    "INSERT INTO lesson_fts(lesson_fts) VALUES ('rebuild')",
)
SQLITE_UNINSTALL = (
    "DROP TRIGGER IF EXISTS lessons_fts_insert",
    "DROP TRIGGER IF EXISTS lessons_fts_delete",
    "DROP TRIGGER IF EXISTS lessons_fts_update",
    "DROP TABLE IF EXISTS lesson_fts",
)
POSTGRES_INSTALL = (
    "ALTER TABLE lessons ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX ix_lessons_search_vector ON lessons USING gin (search_vector)",
)
POSTGRES_UNINSTALL = (
    "DROP INDEX IF EXISTS ix_lessons_search_vector",
    "ALTER TABLE lessons DROP COLUMN IF EXISTS search_vector",
)


def install(bind: Connection) -> None:
    """Create the index for this database (the migration; again after any batch rebuild of lessons)."""
    for statement in POSTGRES_INSTALL if bind.dialect.name == "postgresql" else SQLITE_INSTALL:
        bind.execute(text(statement))


def uninstall(bind: Connection) -> None:
    for statement in POSTGRES_UNINSTALL if bind.dialect.name == "postgresql" else SQLITE_UNINSTALL:
        bind.execute(text(statement))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic autogenerate: the search index is not on the models (see the module docstring)."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    return not (name in (PG_COLUMN, PG_INDEX) and reflected and compare_to is None)


def tokens(query: str) -> list[str]:
    """The words to look for: folded, letters and digits only (safe in FTS5 and tsquery syntax)."""
    return _TOKEN.findall(fold(query))[:MAX_TOKENS]


def lesson_hits(session: Session, words: list[str]) -> Subquery:
    """A subquery of (lesson_id, rank) for the lessons containing every word (a word may be the start
    of a longer one); a lower rank is a better match."""
    if session.get_bind().dialect.name == "postgresql":
        sql = (
            "SELECT id AS lesson_id, -ts_rank(search_vector, to_tsquery('simple', :q)) AS rank FROM lessons "
            "WHERE search_vector @@ to_tsquery('simple', :q)"
        )
        query = " & ".join(f"{w}:*" for w in words)
        return text(sql).bindparams(q=query).columns(lesson_id=Integer, rank=Float).subquery("hits")
    match = " ".join(f'"{w}"*' for w in words)
    return (
        # LIMIT -1 (none) keeps SQLite from flattening the subquery into the join, where bm25() cannot run.
        text(
            "SELECT rowid AS lesson_id, bm25(lesson_fts) AS rank FROM lesson_fts WHERE lesson_fts MATCH :q LIMIT -1"
        )
        .bindparams(q=match)
        .columns(lesson_id=Integer, rank=Float)
        .subquery("hits")
    )


def _fold_aligned(original: str) -> str:
    """``fold`` character by character, so that position i of the result is character i of the original."""
    return "".join((fold(ch) or " ")[0] for ch in original)


def snippet(original: str, words: list[str], width: int = 90) -> Markup:
    """About ``width`` characters of the original text around the first match, matches in <mark>."""
    if not original or not words:
        return Markup("")
    folded = _fold_aligned(original)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*")
    first = pattern.search(folded)
    if first is None:
        return escape(original[:width]) + ("…" if len(original) > width else "")
    start = max(0, first.start() - width // 3)
    while start > 0 and not original[start - 1].isspace():  # begin at a word
        start -= 1
    end = min(len(original), start + width)
    while end < len(original) and not original[end].isspace():  # end at a word
        end += 1
    out = [Markup("…") if start > 0 else Markup("")]
    at = start
    for m in pattern.finditer(folded, start, end):
        out.append(escape(original[at : m.start()]))
        out.append(Markup("<mark>") + escape(original[m.start() : m.end()]) + Markup("</mark>"))
        at = m.end()
    out.append(escape(original[at:end]))
    if end < len(original):
        out.append(Markup("…"))
    return Markup("").join(out)
