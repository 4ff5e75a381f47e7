"""Version-history notes in the reader's language.

The importer (and the parts it runs) record what changed as short English lines
("new course: 4 modules, 12 lessons, 1 images", "quiz final: added"); the CLI prints
them as they are. Pages show them through ``describe_change``, which recognises each
known form and translates it; anything else (a trainer's own publishing note, or a
line already written in the reader's language by the editor) is shown unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import ngettext

_FORMS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^new course: (\d+) modules, (\d+) lessons, (\d+) images$"),
        lambda m: _(
            "new course: %(modules)s, %(lessons)s, %(images)s",
            modules=ngettext("%(num)d module", "%(num)d modules", int(m[1])),
            lessons=ngettext("%(num)d lesson", "%(num)d lessons", int(m[2])),
            images=ngettext("%(num)d image", "%(num)d images", int(m[3])),
        ),
    ),
    (re.compile(r"^lessons added: (.+)$"), lambda m: _("lessons added: %(items)s", items=m[1])),
    (re.compile(r"^lessons removed: (.+)$"), lambda m: _("lessons removed: %(items)s", items=m[1])),
    (re.compile(r"^changed: (.+)$"), lambda m: _("changed: %(items)s", items=m[1])),
    (
        re.compile(r"^images: (\d+) added, (\d+) changed, (\d+) removed$"),
        lambda m: _(
            "images: %(added)s added, %(changed)s changed, %(removed)s removed",
            added=m[1],
            changed=m[2],
            removed=m[3],
        ),
    ),
    (re.compile(r"^status: (\w+) → (\w+)$"), lambda m: _("status: %(old)s → %(new)s", old=m[1], new=m[2])),
    (re.compile(r"^quiz (\S+): added$"), lambda m: _("quiz %(key)s: added", key=m[1])),
    (re.compile(r"^quiz (\S+): settings changed$"), lambda m: _("quiz %(key)s: settings changed", key=m[1])),
    (re.compile(r"^quiz (\S+): removed$"), lambda m: _("quiz %(key)s: removed", key=m[1])),
    (re.compile(r"^question (\S+): added$"), lambda m: _("question %(key)s: added", key=m[1])),
    (re.compile(r"^question (\S+): changed$"), lambda m: _("question %(key)s: changed", key=m[1])),
    (re.compile(r"^question (\S+): removed$"), lambda m: _("question %(key)s: removed", key=m[1])),
    (
        re.compile(r"^course\.yaml says version (\d+); recorded as version (\d+) .*$"),
        lambda m: _("course.yaml says version %(file)s; recorded as version %(new)s", file=m[1], new=m[2]),
    ),
]


def describe_change(line: str) -> str:
    """One stored change note, translated when it is one of the importer's forms."""
    line = line.strip()
    for pattern, render in _FORMS:
        match = pattern.match(line)
        if match:
            return render(match)
    return line


def describe_changes(text: str | None) -> list[str]:
    """The ``version_changes`` filter: a version's stored notes, one translated line each."""
    return [describe_change(line) for line in (text or "").splitlines() if line.strip()]


def version_source(source: str) -> str:
    """The ``version_source`` filter: how a version came in, in the reader's language."""
    labels = {
        "import": _("imported from files"),
        "editor": _("published in the editor"),
        "upload": _("uploaded as a ZIP file"),
    }
    return labels.get(source, source)
