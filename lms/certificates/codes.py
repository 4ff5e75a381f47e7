"""Certificate codes: 18 random characters from a 31-symbol alphabet (89 bits).

The alphabet has no look-alikes (no 0/O, 1/I/L). Codes are shown in three
groups of six (``K7QX2M-9HTRWA-PF3ZNB``) and accepted in any case, with or
without dashes or spaces.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 18
GROUP = 6
_SEPARATORS = re.compile(r"[\s\-_.]+")
_VALID = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")
# A grouped code as it appears in text (e.g. inside a PDF or a pasted list).
CODE_IN_TEXT = re.compile(f"[{ALPHABET}]{{{GROUP}}}-[{ALPHABET}]{{{GROUP}}}-[{ALPHABET}]{{{GROUP}}}")


def new_code() -> str:
    """A fresh normalised code (about 89 random bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(raw: str) -> str | None:
    """Upper-case and strip separators; None if the result cannot be a code."""
    value = _SEPARATORS.sub("", (raw or "").strip()).upper()
    return value if _VALID.match(value) else None


def format_code(code: str) -> str:
    """Group a normalised code for display: XXXXXX-XXXXXX-XXXXXX."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
