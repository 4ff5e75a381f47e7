"""Extension points: one mechanism, every registry documented in docs/architecture.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.core.registry import Registry

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_every_registry_is_listed_in_the_architecture_doc(app):
    doc = ARCHITECTURE.read_text(encoding="utf-8")
    section = doc.split("## Extension points", 1)[1].split("\n## ", 1)[0]
    assert len(Registry.all) >= 12  # the features registered theirs when the app was built
    missing = [name for name in Registry.all if f"`{name}`" not in section and name not in section]
    assert missing == []


def test_adding_again_replaces_and_set_aside_restores():
    reg: Registry[str] = Registry("test.example", "a registry for this test")
    try:
        reg.add("one", "k")
        reg.add("uno", "k")  # a second create_app registers the same key again
        reg.add("two", "j")
        assert reg.values() == ["uno", "two"]
        assert reg.items() == [("k", "uno"), ("j", "two")]
        assert "k" in reg
        with reg.set_aside():
            assert len(reg) == 0
        assert reg.get("j") == "two"
        reg.discard("k")
        assert reg.keys() == ["j"]
    finally:
        Registry.all.pop("test.example")


def test_features_fill_their_registries_in_init_app(app):
    from lms.catalog.parts import COURSE_PARTS, PROGRESS_PROVIDERS
    from lms.learning.completion import REQUIREMENTS

    assert "quizzes" in COURSE_PARTS
    assert len(PROGRESS_PROVIDERS) == 1
    assert len(REQUIREMENTS) >= 2  # quizzes, attendance (lessons are built in)
    with pytest.raises(KeyError):
        Registry.all["no.such.registry"]
