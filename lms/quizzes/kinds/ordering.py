"""Ordering: put the (shuffled) items in the right order; all or nothing."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from lms.quizzes import grading
from lms.quizzes.errors import BadAnswerError
from lms.quizzes.kinds.base import (
    ALWAYS,
    Getlist,
    KindStats,
    PartStat,
    QuestionKind,
    first_value,
    index_checker,
    lines,
    right_per_position,
)
from lms.quizzes.models import SnapshotEntry
from lms.quizzes.source import Checker, render_text


class Ordering(QuestionKind):
    name = "ordering"
    label = _l("Ordering")
    template = "quizzes/kinds/ordering.html"
    source_keys = frozenset({"items"})
    shuffle = ALWAYS

    def parse(self, ch: Checker, node: dict[str, Any], path: str) -> dict[str, Any]:
        message = "must list at least 3 items (text) in the correct order"
        return {"items": ch.text_list(node, "items", path, 3, message)}

    def render(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "items_html": [render_text(i, inline=True) for i in data["items"]]}

    def source(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"items": list(data["items"])}

    def size(self, data: dict[str, Any]) -> int:
        return len(data["items"])

    def from_fields(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        """Each item shown at a display position gets a rank (1 = first); None until all have one."""
        ranks: list[tuple[int, int]] = []
        for pos, item in enumerate(entry.order):
            value = first_value(getlist, entry.field_name(pos))
            if value is None:
                return None
            ranks.append((int(value), item))
        if sorted(r for r, _ in ranks) != list(range(1, len(entry.order) + 1)):
            raise BadAnswerError("each position once")
        return [item for _, item in sorted(ranks)]

    def clean(self, data: dict[str, Any], response: Any) -> Any:
        if response is None:
            return None
        index = index_checker(self.size(data))
        if not isinstance(response, list) or sorted(index(v) for v in response) != list(
            range(self.size(data))
        ):
            raise ValueError("a permutation expected")
        return list(response)

    def fraction(self, data: dict[str, Any], response: Any) -> float:
        return grading.ordering(data, response)

    def public(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        items_html = entry.data["items_html"]
        rank = {item: r + 1 for r, item in enumerate(response)} if response else {}
        return {
            "items": [
                {"name": entry.field_name(pos), "html": items_html[i], "rank": rank.get(i, pos + 1)}
                for pos, i in enumerate(entry.order)
            ],
            "count": len(entry.order),
        }

    def answer_key(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        return {"items": entry.data["items_html"]}

    def stats(self, data: dict[str, Any], responses: list[Any]) -> KindStats:
        answered, right = right_per_position(responses)
        return KindStats(
            part_kind="position",
            parts=[
                PartStat(html, "", i + 1, right.get(i, 0), answered)
                for i, html in enumerate(data["items_html"])
            ],
        )

    def form_fields(self) -> dict[str, Any]:
        return {
            "items": TextAreaField(
                _l("Items in the correct order (one per line)"), validators=[Optional(), Length(max=5000)]
            )
        }

    def from_form(self, form: Any) -> dict[str, Any]:
        return {"items": lines(form.items.data)}

    def to_form(self, form: Any, data: dict[str, Any]) -> None:
        form.items.data = "\n".join(data.get("items", []))
