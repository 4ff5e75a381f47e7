"""Single choice (exactly one correct option) and multiple choice (one or more, partial credit)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField
from wtforms.validators import Length, Optional

from lms.quizzes import grading
from lms.quizzes.kinds.base import (
    OPTIONS,
    Getlist,
    KindStats,
    QuestionKind,
    first_value,
    index_checker,
    original_index,
    stripped,
)
from lms.quizzes.models import SnapshotEntry
from lms.quizzes.source import Checker, render_text

OPTION_ROWS = 6


class OptionRow(Form):
    text = StringField(_l("Option text"), validators=[Optional(), Length(max=2000)])
    correct = BooleanField(_l("Correct"))
    feedback = StringField(_l("Feedback when chosen"), validators=[Optional(), Length(max=2000)])


def _chosen(response: Any) -> set[int]:
    return set(response if isinstance(response, list) else [] if response is None else [response])


class SingleChoice(QuestionKind):
    name = "single"
    label = _l("Single choice")
    template = "quizzes/kinds/choice.html"
    source_keys = frozenset({"options"})
    shuffle = OPTIONS

    def parse(self, ch: Checker, node: dict[str, Any], path: str) -> dict[str, Any]:
        options = ch.rows(node, "options", path, 2, "must list at least 2 options")
        parsed: list[dict[str, Any]] = []
        for i, opt in enumerate(options):
            opath = f"{path}.options[{i}]"
            if ch.keys(opt, opath, {"text", "correct", "feedback"}, {"text"}):
                parsed.append(
                    {
                        "text": ch.text(opt, "text", f"{opath}.text"),
                        "correct": ch.boolean(opt, "correct", f"{opath}.correct", False),
                        "feedback": ch.text(opt, "feedback", f"{opath}.feedback", required=False),
                    }
                )
        if options:
            self.check_correct(ch, node, path, sum(o["correct"] for o in parsed))
        return {"options": parsed}

    def check_correct(self, ch: Checker, node: dict[str, Any], path: str, n_correct: int) -> None:
        if n_correct != 1:
            ch.error(
                node,
                "options",
                f"{path}.options",
                "a single-choice question needs exactly one correct option",
            )

    def render(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            **data,
            "options": [
                {
                    **o,
                    "html": render_text(o["text"], inline=True),
                    "feedback_html": render_text(o["feedback"], inline=True),
                }
                for o in data["options"]
            ],
        }

    def source(self, data: dict[str, Any]) -> dict[str, Any]:
        options = []
        for o in data["options"]:
            opt: dict[str, Any] = {"text": o["text"]}
            if o["correct"]:
                opt["correct"] = True
            if o["feedback"]:
                opt["feedback"] = o["feedback"]
            options.append(opt)
        return {"options": options}

    def size(self, data: dict[str, Any]) -> int:
        return len(data["options"])

    def from_fields(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        value = first_value(getlist, entry.field_name())
        return None if value is None else original_index(entry.order, value)

    def clean(self, data: dict[str, Any], response: Any) -> Any:
        return None if response is None else index_checker(self.size(data))(response)

    def fraction(self, data: dict[str, Any], response: Any) -> float:
        return grading.single(data, response)

    def public(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        chosen = _chosen(response)
        options = entry.data["options"]
        return {
            "choices": [
                {"value": pos, "html": options[i]["html"], "checked": i in chosen}
                for pos, i in enumerate(entry.order)
            ]
        }

    def answer_key(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        chosen = _chosen(response)
        options = entry.data["options"]
        return {
            "options": [
                {
                    "html": options[i]["html"],
                    "correct": options[i]["correct"],
                    "chosen": i in chosen,
                    "feedback_html": options[i]["feedback_html"] if i in chosen else "",
                }
                for i in entry.order
            ]
        }

    def stats(self, data: dict[str, Any], responses: list[Any]) -> KindStats:
        counts: dict[int, int] = {}
        for response in responses:
            for v in response if isinstance(response, list) else [response]:
                counts[v] = counts.get(v, 0) + 1
        return KindStats(
            choices=[(o["html"], counts.get(i, 0), o["correct"]) for i, o in enumerate(data["options"])]
        )

    def form_fields(self) -> dict[str, Any]:
        return {"options": FieldList(FormField(OptionRow), min_entries=OPTION_ROWS)}

    def from_form(self, form: Any) -> dict[str, Any]:
        options = []
        for row in form.options:
            text = stripped(row.form.text.data)
            if not text:
                continue
            option: dict[str, Any] = {"text": text}
            if row.form.correct.data:
                option["correct"] = True
            if stripped(row.form.feedback.data):
                option["feedback"] = stripped(row.form.feedback.data)
            options.append(option)
        return {"options": options}

    def to_form(self, form: Any, data: dict[str, Any]) -> None:
        options = data.get("options", [])
        for row, option in zip(form.options, options, strict=False):
            row.form.text.data = option.get("text", "")
            row.form.correct.data = bool(option.get("correct"))
            row.form.feedback.data = option.get("feedback", "")
        for option in options[len(form.options) :]:
            form.options.append_entry(
                {
                    "text": option.get("text", ""),
                    "correct": bool(option.get("correct")),
                    "feedback": option.get("feedback", ""),
                }
            )


class MultipleChoice(SingleChoice):
    name = "multiple"
    label = _l("Multiple choice")
    source_keys = frozenset({"options", "scoring"})
    defaults = {"scoring": "partial"}

    def parse(self, ch: Checker, node: dict[str, Any], path: str) -> dict[str, Any]:
        data = super().parse(ch, node, path)
        scoring = node.get("scoring", "partial")
        if scoring not in ("partial", "all_or_nothing"):
            ch.error(node, "scoring", f"{path}.scoring", "must be partial or all_or_nothing")
        data["scoring"] = scoring
        return data

    def check_correct(self, ch: Checker, node: dict[str, Any], path: str, n_correct: int) -> None:
        if n_correct < 1:
            ch.error(node, "options", f"{path}.options", "needs at least one correct option")

    def source(self, data: dict[str, Any]) -> dict[str, Any]:
        node = super().source(data)
        if data.get("scoring", "partial") != "partial":
            node["scoring"] = data["scoring"]
        return node

    def from_fields(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        return sorted({original_index(entry.order, v) for v in getlist(entry.field_name()) if v != ""})

    def clean(self, data: dict[str, Any], response: Any) -> Any:
        if not isinstance(response, list):
            raise ValueError("list expected")
        index = index_checker(self.size(data))
        return sorted({index(v) for v in response})

    def fraction(self, data: dict[str, Any], response: Any) -> float:
        return grading.multiple(data, response)

    def is_answered(self, response: Any) -> bool:
        return bool(response)

    def form_fields(self) -> dict[str, Any]:
        return {
            **super().form_fields(),
            "scoring": SelectField(
                _l("Scoring"),
                choices=[("partial", _l("Partial credit")), ("all_or_nothing", _l("All or nothing"))],
                default="partial",
            ),
        }

    def from_form(self, form: Any) -> dict[str, Any]:
        return {**super().from_form(form), "scoring": form.scoring.data}

    def to_form(self, form: Any, data: dict[str, Any]) -> None:
        super().to_form(form, data)
        form.scoring.data = data.get("scoring", "partial")
