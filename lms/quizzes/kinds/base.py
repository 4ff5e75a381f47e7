"""The ``QuestionKind`` base class and the registry of kinds (after CTFd's ``CHALLENGE_CLASSES``).

A kind owns everything that differs between kinds of question, from the quiz
file to the statistics page:

===================  =====================================================
quiz file            ``parse`` (YAML node → data), ``render`` (data + sanitised
                     HTML, as stored on the question), ``source`` (data → YAML
                     node, for export), ``source_keys``, ``defaults``
attempt              ``display_order`` / ``snapshot`` (what an attempt keeps),
                     ``from_fields`` (form fields in display positions →
                     response in original indices), ``clean``, ``grade`` (calls
                     the pure grader of ``lms.quizzes.grading``), ``is_answered``
pages                ``public`` (what the take page may show: no answer key),
                     ``answer_key`` (the review), ``stats`` (per-option or
                     per-part counts for trainers)
authoring            ``form_fields``, ``from_form``, ``to_form``
templates            ``template``: one partial with the macros ``question(q,
                     readonly)``, ``answer_key(q)``, ``stats(s)`` and
                     ``authoring(form, kind)``
===================  =====================================================

Everything else (points, prompt, explanation, tags, paging, autosave,
submitting, the attempt total) is the same for every kind and lives outside.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lms.core.registry import Registry
from lms.quizzes import grading
from lms.quizzes.errors import BadAnswerError
from lms.quizzes.grading import Score
from lms.quizzes.models import SnapshotEntry
from lms.quizzes.source import Checker

Getlist = Callable[[str], list[str]]

NEVER = "never"  # the kind shows nothing in an order (order = [])
OPTIONS = "options"  # shuffled when the quiz shuffles options
ALWAYS = "always"  # always shown out of the right order (the order is what is asked)


@dataclass
class PartStat:
    """How often one pair of a matching question / one position of an ordering question was right."""

    label_html: str  # pair: the left side; position: the item that belongs there
    answer_html: str  # pair: the right side; position: "" (the number is ``position``)
    position: int  # 1-based
    right: int
    answered: int

    @property
    def share(self) -> float | None:
        return self.right / self.answered if self.answered else None


@dataclass
class KindStats:
    """The kind's part of a question's statistics."""

    # (option html or "true"/"false", times chosen, is the key)
    choices: list[tuple[str, int, bool]] = field(default_factory=list)
    part_kind: str = ""  # "pair" or "position" (names the columns of ``parts``)
    parts: list[PartStat] = field(default_factory=list)


class QuestionKind:
    """One kind of question. Subclass it, set the class attributes, override what differs, ``register``."""

    name: ClassVar[str]
    label: ClassVar[Any]  # lazy_gettext string for menus and headings
    template: ClassVar[str]  # the kind's partial (see the module docstring)
    source_keys: ClassVar[frozenset[str]] = frozenset()  # YAML keys besides the common ones
    defaults: ClassVar[dict[str, Any]] = {}  # source values the files leave out
    shuffle: ClassVar[str] = NEVER

    # --- quiz files ---------------------------------------------------------------

    def parse(self, ch: Checker, node: dict[str, Any], path: str) -> dict[str, Any]:
        """The kind's data from a question node; problems go to ``ch`` (never raises)."""
        raise NotImplementedError

    def render(self, data: dict[str, Any]) -> dict[str, Any]:
        """The data as stored on the question: sanitised HTML beside every displayable text."""
        return dict(data)

    def source(self, data: dict[str, Any]) -> dict[str, Any]:
        """The kind's keys of a question node (the inverse of ``parse``), defaults left out."""
        raise NotImplementedError

    def size(self, data: dict[str, Any]) -> int:
        """How many displayable choices the question has (options, pairs, items); 0 if none."""
        return 0

    # --- attempts -------------------------------------------------------------------

    def display_order(self, data: dict[str, Any], rng: random.Random, *, shuffle_options: bool) -> list[int]:
        n = self.size(data)
        if self.shuffle == OPTIONS:
            return permutation(n, rng, shuffle=shuffle_options)
        if self.shuffle == ALWAYS:
            return permutation(n, rng, shuffle=True, avoid_identity=True)
        return []

    def snapshot(self, question: Any, rng: random.Random, *, shuffle_options: bool) -> SnapshotEntry:
        """What an attempt keeps of ``question`` (a Question or alike): content, answer key, display order."""
        order = self.display_order(question.data, rng, shuffle_options=shuffle_options)
        return SnapshotEntry(
            question_id=question.id,
            key=question.key,
            kind=question.kind,
            points=question.points,
            prompt_html=question.prompt_html,
            explanation_html=question.explanation_html,
            data=copy.deepcopy(question.data),
            order=order,
        )

    def from_fields(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        """The response (original indices) from the question's form fields (display positions)."""
        raise NotImplementedError

    def clean(self, data: dict[str, Any], response: Any) -> Any:
        """Validate and normalise a response in original indices; ValueError if malformed."""
        return response

    def read(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        """``from_fields`` then ``clean``: the response to store, or BadAnswerError."""
        try:
            return self.clean(entry.data, self.from_fields(entry, getlist))
        except ValueError as exc:
            raise BadAnswerError(str(exc)) from None

    def fraction(self, data: dict[str, Any], response: Any) -> float:
        """The share of the points earned: the kind's pure grader from ``lms.quizzes.grading``."""
        raise NotImplementedError

    def grade(self, data: dict[str, Any], response: Any, points: float) -> Score:
        return grading.score(self.fraction(data, response), points)

    def is_answered(self, response: Any) -> bool:
        return response is not None

    # --- pages ------------------------------------------------------------------------

    def public(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        """The kind's part of the take page's view of a question (display order; no answer key)."""
        return {}

    def answer_key(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        """What the review shows as the right answer (and feedback on the learner's choice)."""
        return {}

    def stats(self, data: dict[str, Any], responses: list[Any]) -> KindStats:
        """Counts over the given (non-empty) responses of submitted attempts."""
        return KindStats()

    # --- authoring ------------------------------------------------------------------

    def form_fields(self) -> dict[str, Any]:
        """WTForms fields (unbound) the question editor adds for this kind."""
        return {}

    def from_form(self, form: Any) -> dict[str, Any]:
        """The kind's keys of a question node, in the quiz-file format, from the editor form."""
        return {}

    def to_form(self, form: Any, data: dict[str, Any]) -> None:
        """Show a stored question node's kind-specific keys in the editor form."""


# --- helpers for kinds -------------------------------------------------------------------


def permutation(n: int, rng: random.Random, *, shuffle: bool, avoid_identity: bool = False) -> list[int]:
    order = list(range(n))
    if shuffle and n > 1:
        rng.shuffle(order)
        while avoid_identity and order == sorted(order):
            rng.shuffle(order)
    return order


def first_value(getlist: Getlist, name: str) -> str | None:
    """The first non-empty value posted under ``name``."""
    values = [v for v in getlist(name) if v != ""]
    return values[0] if values else None


def original_index(order: list[int], value: str) -> int:
    """The original index of the choice shown at display position ``value``."""
    try:
        pos = int(value)
    except ValueError:
        raise BadAnswerError("not a number") from None
    if not 0 <= pos < len(order):
        raise BadAnswerError("out of range")
    return order[pos]


def index_checker(n: int) -> Callable[[Any], int]:
    """A check that a stored value is an index below ``n`` (ValueError otherwise)."""

    def index(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n:
            raise ValueError("bad index")
        return value

    return index


def right_per_position(responses: list[Any]) -> tuple[int, dict[int, int]]:
    """(answered, {index: times right}) over list responses where ``response[i] == i`` is right."""
    answered = 0
    right: dict[int, int] = {}
    for response in responses:
        if not isinstance(response, list):
            continue
        answered += 1
        for i, v in enumerate(response):
            if v == i:
                right[i] = right.get(i, 0) + 1
    return answered, right


def stripped(value: str | None) -> str:
    return (value or "").strip()


def lines(value: str | None) -> list[str]:
    """Non-empty trimmed lines of a text area."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


# --- the registry ------------------------------------------------------------------------


class UnknownKindError(KeyError):
    """No kind of that name is registered (never graded as zero silently)."""


KINDS: Registry[QuestionKind] = Registry(
    "quizzes.kinds",
    "Question kinds by name: one QuestionKind class and one template partial each (lms.quizzes.kinds).",
)


def register(kind: QuestionKind) -> QuestionKind:
    if KINDS.get(kind.name) is not None:
        raise ValueError(f"question kind {kind.name!r} is already registered")
    return KINDS.add(kind, key=kind.name)


def unregister(name: str) -> None:
    KINDS.discard(name)


@contextmanager
def registered(kind: QuestionKind) -> Iterator[QuestionKind]:
    """Register ``kind`` for the duration of a block (tests)."""
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind.name)


def get(name: str) -> QuestionKind:
    kind = KINDS.get(name)
    if kind is None:
        raise UnknownKindError(name)
    return kind


def names() -> tuple[str, ...]:
    return tuple(KINDS.keys())


def all_kinds() -> list[QuestionKind]:
    return KINDS.values()
