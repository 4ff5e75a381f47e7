"""True / false, with optional feedback for each answer."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from lms.quizzes import grading
from lms.quizzes.kinds.base import Getlist, KindStats, QuestionKind, stripped
from lms.quizzes.models import SnapshotEntry
from lms.quizzes.source import Checker, render_text

FEEDBACK = ("feedback_true", "feedback_false")


class TrueFalse(QuestionKind):
    name = "true_false"
    label = _l("True / false")
    template = "quizzes/kinds/true_false.html"
    source_keys = frozenset({"answer", *FEEDBACK})

    def parse(self, ch: Checker, node: dict[str, Any], path: str) -> dict[str, Any]:
        answer = node.get("answer")
        if not isinstance(answer, bool):
            ch.error(node, "answer", f"{path}.answer", "must be true or false")
        data: dict[str, Any] = {"answer": bool(answer)}
        for key in FEEDBACK:
            data[key] = ch.text(node, key, f"{path}.{key}", required=False)
        return data

    def render(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, **{f"{k}_html": render_text(data[k], inline=True) for k in FEEDBACK}}

    def source(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"answer": data["answer"], **{k: data[k] for k in FEEDBACK if data.get(k)}}

    def from_fields(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        values = getlist(entry.field_name())
        return {"true": True, "false": False}.get(values[0]) if values else None

    def clean(self, data: dict[str, Any], response: Any) -> Any:
        if response is not None and not isinstance(response, bool):
            raise ValueError("boolean expected")
        return response

    def fraction(self, data: dict[str, Any], response: Any) -> float:
        return grading.true_false(data, response)

    def public(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        return {"value": response}

    def answer_key(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        data = entry.data
        fb = "" if response is None else data["feedback_true_html" if response else "feedback_false_html"]
        return {"answer": data["answer"], "feedback_html": fb}

    def stats(self, data: dict[str, Any], responses: list[Any]) -> KindStats:
        answer = data["answer"]
        chosen_true = sum(1 for r in responses if r is True)
        chosen_false = sum(1 for r in responses if r is False)
        return KindStats(
            choices=[("true", chosen_true, answer is True), ("false", chosen_false, answer is False)]
        )

    def form_fields(self) -> dict[str, Any]:
        return {
            "answer": SelectField(
                _l("Correct answer"), choices=[("true", _l("True")), ("false", _l("False"))], default="true"
            ),
            "feedback_true": StringField(
                _l("Feedback for “true”"), validators=[Optional(), Length(max=2000)]
            ),
            "feedback_false": StringField(
                _l("Feedback for “false”"), validators=[Optional(), Length(max=2000)]
            ),
        }

    def from_form(self, form: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"answer": form.answer.data == "true"}
        for key in FEEDBACK:
            if stripped(getattr(form, key).data):
                data[key] = stripped(getattr(form, key).data)
        return data

    def to_form(self, form: Any, data: dict[str, Any]) -> None:
        form.answer.data = "true" if data.get("answer", True) else "false"
        for key in FEEDBACK:
            getattr(form, key).data = data.get(key, "")
