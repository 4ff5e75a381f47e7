"""Short text answer: accepted answers compared after trimming and (by default) folding accents and case."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length, Optional

from lms.quizzes import grading
from lms.quizzes.kinds.base import Getlist, QuestionKind, lines
from lms.quizzes.models import SnapshotEntry
from lms.quizzes.source import Checker

MAX_LENGTH = 500


class ShortText(QuestionKind):
    name = "short_text"
    label = _l("Short text answer")
    template = "quizzes/kinds/short_text.html"
    source_keys = frozenset({"answers", "ignore_diacritics", "case_sensitive"})
    defaults = {"ignore_diacritics": True, "case_sensitive": False}

    def parse(self, ch: Checker, node: dict[str, Any], path: str) -> dict[str, Any]:
        return {
            "answers": ch.text_list(node, "answers", path, 1, "must list at least one accepted answer"),
            **{
                key: ch.boolean(node, key, f"{path}.{key}", default) for key, default in self.defaults.items()
            },
        }

    def render(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "answers": list(data["answers"])}

    def source(self, data: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = {"answers": list(data["answers"])}
        for key, default in self.defaults.items():
            if data.get(key, default) != default:
                node[key] = data[key]
        return node

    def from_fields(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        values = getlist(entry.field_name())
        return values[0] if values else ""

    def clean(self, data: dict[str, Any], response: Any) -> Any:
        if not isinstance(response, str) or len(response) > MAX_LENGTH:
            raise ValueError("text expected")
        return response

    def fraction(self, data: dict[str, Any], response: Any) -> float:
        return grading.short_text(data, response)

    def is_answered(self, response: Any) -> bool:
        return response is not None and bool(str(response).strip())

    def public(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        return {"value": response or ""}

    def answer_key(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        return {"answers": entry.data["answers"]}

    def form_fields(self) -> dict[str, Any]:
        return {
            "answers": TextAreaField(
                _l("Accepted answers (one per line)"), validators=[Optional(), Length(max=5000)]
            ),
            "ignore_diacritics": BooleanField(_l("Accept answers without Vietnamese accents"), default=True),
            "case_sensitive": BooleanField(_l("Upper and lower case must match")),
        }

    def from_form(self, form: Any) -> dict[str, Any]:
        return {
            "answers": lines(form.answers.data),
            "ignore_diacritics": bool(form.ignore_diacritics.data),
            "case_sensitive": bool(form.case_sensitive.data),
        }

    def to_form(self, form: Any, data: dict[str, Any]) -> None:
        form.answers.data = "\n".join(data.get("answers", []))
        for key, default in self.defaults.items():
            getattr(form, key).data = data.get(key, default)
