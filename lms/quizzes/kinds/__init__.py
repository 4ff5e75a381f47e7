"""Question kinds: one class per kind, in a registry (see ``base`` for what a kind owns).

Adding a kind: a module with a ``QuestionKind`` subclass, ``register(MyKind())``
below, and its template partial (``quizzes/kinds/<name>.html``). Nothing else in
the quizzes or authoring code names a kind.
"""

from __future__ import annotations

from typing import Any

from lms.quizzes.errors import BadAnswerError
from lms.quizzes.kinds.base import (
    KINDS,
    Getlist,
    KindStats,
    PartStat,
    QuestionKind,
    UnknownKindError,
    all_kinds,
    get,
    names,
    register,
    registered,
    unregister,
)
from lms.quizzes.kinds.choice import MultipleChoice, SingleChoice
from lms.quizzes.kinds.matching import Matching
from lms.quizzes.kinds.ordering import Ordering
from lms.quizzes.kinds.short_text import ShortText
from lms.quizzes.kinds.true_false import TrueFalse
from lms.quizzes.models import SnapshotEntry

__all__ = [
    "KINDS",
    "Getlist",
    "KindStats",
    "PartStat",
    "QuestionKind",
    "UnknownKindError",
    "all_kinds",
    "get",
    "names",
    "read_page",
    "register",
    "registered",
    "unregister",
]

for _kind in (SingleChoice(), MultipleChoice(), TrueFalse(), ShortText(), Matching(), Ordering()):
    register(_kind)


def read_page(entries: list[SnapshotEntry], getlist: Getlist) -> tuple[dict[int, Any], dict[int, str]]:
    """Responses of the questions of a submitted page form: ({question id: response}, {question id: error})."""
    responses: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for entry in entries:
        try:
            responses[entry.question_id] = get(entry.kind).read(entry, getlist)
        except BadAnswerError as exc:
            errors[entry.question_id] = str(exc)
    return responses, errors
