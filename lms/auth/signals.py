"""Signals other features subscribe to (blinker, as Flask uses)."""

from blinker import Namespace

_signals = Namespace()

user_unit_changed = _signals.signal("user-unit-changed")
"""Sent with sender=user, session=session after a user is created in or moved to a unit
(admin pages, people import). The training feature gives them the unit's open assignments."""
