"""Vietnamese text helpers: NFC, diacritic folding for search and short answers."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Whitespace and the invisible control characters a spreadsheet or a pasted text may carry (NUL
# among them: PostgreSQL refuses it in text, so a NUL in an imported cell was a 500 there).
_SPACES_AND_CONTROLS = re.compile(r"[\s\x00-\x1f\x7f]+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ→d) and collapse spaces.

    "Chữ  Ký Số" -> "chu ky so". Used for search keys and short-answer matching.
    """
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d")
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def normalise_spaces(text: str) -> str:
    """NFC, every run of spaces or control characters as one space, trimmed."""
    return _SPACES_AND_CONTROLS.sub(" ", nfc(text)).strip()
