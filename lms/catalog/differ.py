"""What changed in a course: one differ for the import plan and the version history.

Both sides are given in the normalised snapshot form that ``CourseSnapshot`` stores::

    {"course": {field: value, ...},
     "modules": [{"key", "title", ..., "lessons": [{"key", "title", ...}]}],
     "quizzes": [{"module", "settings", "questions"}],   # optional
     "assets": {path: sha256}}                            # optional

The differ compares whatever fields the two sides carry (the importer adds
positions and assets, the editor's snapshots carry quizzes) and returns plain
``Change`` records in a stable order; each caller words them its own way
(``catalog.importer.import_notes`` for the CLI and stored import notes,
``authoring.services.changes_between`` for a published version). Pure: no
database, no translation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Snapshot = Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """One difference. ``what``: course | modules | module | lessons | lesson | quiz | images."""

    what: str
    action: str  # changed | added | removed | reordered
    key: str = ""  # course field, module key, "module/lesson", quiz key ("" = final exam)
    title: str = ""  # the item's title on the newer side (older side for removals)
    counts: tuple[int, int, int] = (0, 0, 0)  # images only: added, changed, removed


def diff_courses(old: Snapshot, new: Snapshot) -> list[Change]:
    """Every difference between two course snapshots, course settings first."""
    return [
        *_settings(old["course"], new["course"]),
        *_modules(old["modules"], new["modules"]),
        *_quizzes(old.get("quizzes") or [], new.get("quizzes") or []),
        *_assets(old.get("assets"), new.get("assets")),
    ]


def _settings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    return [Change("course", "changed", f) for f, value in new.items() if old.get(f) != value]


def _same_order(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether the items both sides have stand in the same order."""
    return [k for k in old if k in new] == [k for k in new if k in old]


def _without_lessons(module: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in module.items() if k != "lessons"}


def _modules(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[Change]:
    old_mods = {m["key"]: m for m in old}
    new_mods = {m["key"]: m for m in new}
    changes: list[Change] = []
    if not _same_order(old_mods, new_mods):
        changes.append(Change("modules", "reordered"))
    for key, m in new_mods.items():
        om = old_mods.get(key)
        if om is None:
            changes.append(Change("module", "added", key, m["title"]))
            continue
        if _without_lessons(om) != _without_lessons(m):
            changes.append(Change("module", "changed", key, m["title"]))
        changes += _lessons(key, m["title"], om["lessons"], m["lessons"])
    changes += [Change("module", "removed", k, m["title"]) for k, m in old_mods.items() if k not in new_mods]
    return changes


def _lessons(
    module_key: str, module_title: str, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[Change]:
    old_les = {x["key"]: x for x in old}
    new_les = {x["key"]: x for x in new}
    changes: list[Change] = []
    if not _same_order(old_les, new_les):
        changes.append(Change("lessons", "reordered", module_key, module_title))
    for key, les in new_les.items():
        if key not in old_les:
            changes.append(Change("lesson", "added", f"{module_key}/{key}", les["title"]))
        elif old_les[key] != les:
            changes.append(Change("lesson", "changed", f"{module_key}/{key}", les["title"]))
    changes += [
        Change("lesson", "removed", f"{module_key}/{k}", les["title"])
        for k, les in old_les.items()
        if k not in new_les
    ]
    return changes


def _quizzes(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[Change]:
    old_q = {q["module"] or "": q for q in old}
    new_q = {q["module"] or "": q for q in new}
    changes: list[Change] = []
    for key, q in new_q.items():
        title = q["settings"].get("title", key)
        if key not in old_q:
            changes.append(Change("quiz", "added", key, title))
        elif old_q[key] != q:
            changes.append(Change("quiz", "changed", key, title))
    changes += [
        Change("quiz", "removed", k, q["settings"].get("title", k))
        for k, q in old_q.items()
        if k not in new_q
    ]
    return changes


def _assets(old: Mapping[str, str] | None, new: Mapping[str, str] | None) -> list[Change]:
    if old is None or new is None:
        return []
    added = sum(1 for p in new if p not in old)
    changed = sum(1 for p, sha in new.items() if p in old and old[p] != sha)
    removed = sum(1 for p in old if p not in new)
    if not (added or changed or removed):
        return []
    return [Change("images", "changed", counts=(added, changed, removed))]
