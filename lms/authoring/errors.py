"""Errors the authoring services raise; views turn them into messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class AuthoringError(Exception):
    """A rule was broken; the message is translated and shown to the trainer."""


@dataclass
class EditConflictError(Exception):
    """Someone saved the same object after the trainer opened it."""

    current_version: int
    updated_by: Any
    updated_at: Any
