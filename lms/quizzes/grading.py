"""Pure graders, one per built-in kind. The only place scores are computed.

Each grader takes the question's ``data`` (its answer key, as stored on the
question or in an attempt's snapshot) and a learner's response in original
indices, and returns the fraction of the question's points earned (0.0–1.0).
The kind classes (``lms.quizzes.kinds``) call them; ``score`` turns the
fraction into points. Nothing here touches the database.

Responses by kind:
  single      option index or None
  multiple    list of option indices
  true_false  true / false / None
  short_text  string
  matching    list (one per pair's left side) of the chosen right index or None
  ordering    list of item indices in the learner's order
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from lms.core.text import fold, normalise_spaces

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Score:
    fraction: float
    points: float

    @property
    def correct(self) -> bool:
        return self.fraction >= 1.0


def single(data: dict[str, Any], response: Any) -> float:
    if response is None:
        return 0.0
    options = data["options"]
    return 1.0 if 0 <= response < len(options) and options[response]["correct"] else 0.0


def multiple(data: dict[str, Any], response: Any) -> float:
    chosen = set(response or [])
    correct = {i for i, o in enumerate(data["options"]) if o["correct"]}
    if not correct:
        return 0.0
    if data.get("scoring", "partial") == "all_or_nothing":
        return 1.0 if chosen == correct else 0.0
    right = len(chosen & correct)
    wrong = len(chosen - correct)
    return max(0.0, (right - wrong) / len(correct))


def true_false(data: dict[str, Any], response: Any) -> float:
    return 1.0 if response is not None and bool(response) == bool(data["answer"]) else 0.0


def normalise_short_text(text: str, *, ignore_diacritics: bool = True, case_sensitive: bool = False) -> str:
    """Trim spaces and punctuation at the ends, collapse inner spaces; fold as configured."""
    text = _trim(normalise_spaces(text))
    if ignore_diacritics and not case_sensitive:
        text = fold(text)
    elif ignore_diacritics:
        text = _strip_marks(text)
    elif not case_sensitive:
        text = text.lower()
    return _SPACES.sub(" ", text).strip()


def _trim(text: str) -> str:
    """Strip spaces and any Unicode punctuation («», “”, …) from both ends."""

    def junk(ch: str) -> bool:
        return ch.isspace() or unicodedata.category(ch).startswith("P")

    start, end = 0, len(text)
    while start < end and junk(text[start]):
        start += 1
    while end > start and junk(text[end - 1]):
        end -= 1
    return text[start:end]


def _strip_marks(text: str) -> str:
    """Remove diacritics but keep case (fold() also lower-cases)."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare).replace("đ", "d").replace("Đ", "D")


def short_text(data: dict[str, Any], response: Any) -> float:
    if not isinstance(response, str) or not response.strip():
        return 0.0
    opts = {
        "ignore_diacritics": data.get("ignore_diacritics", True),
        "case_sensitive": data.get("case_sensitive", False),
    }
    given = normalise_short_text(response, **opts)
    return 1.0 if any(given == normalise_short_text(a, **opts) for a in data["answers"]) else 0.0


def matching(data: dict[str, Any], response: Any) -> float:
    pairs = data["pairs"]
    chosen = list(response or [])
    right = sum(1 for i in range(len(pairs)) if i < len(chosen) and chosen[i] == i)
    return right / len(pairs) if pairs else 0.0


def ordering(data: dict[str, Any], response: Any) -> float:
    return 1.0 if list(response or []) == list(range(len(data["items"]))) else 0.0


def score(fraction: float, points: float) -> Score:
    """A grader's fraction (clamped to 0–1) as a Score of ``points``."""
    fraction = min(1.0, max(0.0, fraction))
    return Score(fraction, round(fraction * points, 4))
