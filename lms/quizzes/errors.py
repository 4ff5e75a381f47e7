"""What a learner action on a quiz can run into; views turn each into a message."""

from __future__ import annotations


class QuizError(Exception):
    """A learner action that cannot be done; the message is shown."""


class NoAttemptsLeftError(QuizError):
    pass


class QuizClosedError(QuizError):
    pass


class AttemptClosedError(QuizError):
    """The attempt was submitted or is past its deadline (plus grace)."""


class StaleSaveError(QuizError):
    """A save older than what is stored (another tab or device saved since)."""

    def __init__(self, last_seq: int) -> None:
        super().__init__("stale")
        self.last_seq = last_seq


class BadAnswerError(QuizError):
    """The answer's form fields do not make a valid response (or name a question not in the attempt)."""


class PrerequisitesMissingError(QuizError):
    """The learner is not enrolled and has not completed the course's prerequisites."""
