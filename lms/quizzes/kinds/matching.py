"""Matching pairs: each left side gets one of the (shuffled) right sides; partial credit per pair."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, StringField
from wtforms.validators import Length, Optional

from lms.quizzes import grading
from lms.quizzes.kinds.base import (
    ALWAYS,
    Getlist,
    KindStats,
    PartStat,
    QuestionKind,
    first_value,
    index_checker,
    original_index,
    right_per_position,
    stripped,
)
from lms.quizzes.models import SnapshotEntry
from lms.quizzes.source import Checker, render_text

PAIR_ROWS = 6


class PairRow(Form):
    left = StringField(_l("Left"), validators=[Optional(), Length(max=500)])
    right = StringField(_l("Right"), validators=[Optional(), Length(max=500)])


class Matching(QuestionKind):
    name = "matching"
    label = _l("Matching pairs")
    template = "quizzes/kinds/matching.html"
    source_keys = frozenset({"pairs"})
    shuffle = ALWAYS  # the right sides

    def parse(self, ch: Checker, node: dict[str, Any], path: str) -> dict[str, Any]:
        parsed = []
        for i, pair in enumerate(ch.rows(node, "pairs", path, 2, "must list at least 2 pairs")):
            ppath = f"{path}.pairs[{i}]"
            if ch.keys(pair, ppath, {"left", "right"}, {"left", "right"}):
                parsed.append(
                    {
                        "left": ch.text(pair, "left", f"{ppath}.left"),
                        "right": ch.text(pair, "right", f"{ppath}.right"),
                    }
                )
        if len({p["right"] for p in parsed}) != len(parsed):
            ch.error(node, "pairs", f"{path}.pairs", "right sides must be different from each other")
        return {"pairs": parsed}

    def render(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            **data,
            "pairs": [
                {
                    **p,
                    "left_html": render_text(p["left"], inline=True),
                    "right_html": render_text(p["right"], inline=True),
                }
                for p in data["pairs"]
            ],
        }

    def source(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"pairs": [{"left": p["left"], "right": p["right"]} for p in data["pairs"]]}

    def size(self, data: dict[str, Any]) -> int:
        return len(data["pairs"])

    def from_fields(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        chosen = (first_value(getlist, entry.field_name(li)) for li in range(len(entry.order)))
        return [None if v is None else original_index(entry.order, v) for v in chosen]

    def clean(self, data: dict[str, Any], response: Any) -> Any:
        n = self.size(data)
        if not isinstance(response, list) or len(response) != n:
            raise ValueError("one choice per pair expected")
        index = index_checker(n)
        return [None if v is None else index(v) for v in response]

    def fraction(self, data: dict[str, Any], response: Any) -> float:
        return grading.matching(data, response)

    def is_answered(self, response: Any) -> bool:
        return response is not None and any(v is not None for v in response)

    def public(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        pairs = entry.data["pairs"]
        back = {i: pos for pos, i in enumerate(entry.order)}
        return {
            "rights": [{"value": pos, "html": pairs[i]["right_html"]} for pos, i in enumerate(entry.order)],
            "lefts": [
                {
                    "name": entry.field_name(li),
                    "html": pair["left_html"],
                    "selected": back.get(response[li]) if response and response[li] is not None else None,
                }
                for li, pair in enumerate(pairs)
            ],
        }

    def answer_key(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        return {"pairs": [(p["left_html"], p["right_html"]) for p in entry.data["pairs"]]}

    def stats(self, data: dict[str, Any], responses: list[Any]) -> KindStats:
        answered, right = right_per_position(responses)
        return KindStats(
            part_kind="pair",
            parts=[
                PartStat(p["left_html"], p["right_html"], i + 1, right.get(i, 0), answered)
                for i, p in enumerate(data["pairs"])
            ],
        )

    def form_fields(self) -> dict[str, Any]:
        return {"pairs": FieldList(FormField(PairRow), min_entries=PAIR_ROWS)}

    def from_form(self, form: Any) -> dict[str, Any]:
        return {
            "pairs": [
                {"left": stripped(row.form.left.data), "right": stripped(row.form.right.data)}
                for row in form.pairs
                if stripped(row.form.left.data) or stripped(row.form.right.data)
            ]
        }

    def to_form(self, form: Any, data: dict[str, Any]) -> None:
        pairs = data.get("pairs", [])
        for row, pair in zip(form.pairs, pairs, strict=False):
            row.form.left.data, row.form.right.data = pair.get("left", ""), pair.get("right", "")
        for pair in pairs[len(form.pairs) :]:
            form.pairs.append_entry(pair)
