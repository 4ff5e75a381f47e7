"""Extension points: named registries that features fill in their ``init_app``.

This is the one mechanism by which a lower feature calls code of a higher one
(a quiz part in the course importer, a completion rule, a certificate filter, a
nav entry). Blinker signals are kept only for true events ("a course changed",
"an enrolment completed", "a user moved to another unit"), and their receivers
are connected in ``init_app`` as well. ``docs/architecture.md`` lists every one.

A registry is process-wide: every app in a process runs the same ``FEATURES``
(several apps exist only in tests), and services read registries outside any
app context (tests, certificate render workers). Entries are keyed, so a second
``create_app`` replaces an entry instead of adding a duplicate.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, TypeVar, cast

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered, keyed collection of contributions to one extension point."""

    all: ClassVar[dict[str, Registry[Any]]] = {}

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.doc = doc
        self._items: dict[Any, T] = {}
        Registry.all[name] = self

    def add(self, item: T, key: Hashable | None = None) -> T:
        """Add (or replace, for the same key) an entry; the key defaults to the item itself."""
        self._items[cast(Hashable, item) if key is None else key] = item
        return item

    def discard(self, key: Hashable) -> None:
        """Remove an entry by key (or by the item itself, when it was added without a key)."""
        self._items.pop(key, None)

    @contextmanager
    def set_aside(self) -> Iterator[Registry[T]]:
        """For tests: the registry is empty inside the block; its entries come back afterwards."""
        saved = self._items
        self._items = {}
        try:
            yield self
        finally:
            self._items = saved

    def values(self) -> list[T]:
        """The entries in registration order (i.e. ``FEATURES`` order)."""
        return list(self._items.values())

    def items(self) -> list[tuple[Any, T]]:
        """(key, entry) pairs in registration order."""
        return list(self._items.items())

    def get(self, key: Hashable, default: T | None = None) -> T | None:
        return self._items.get(key, default)

    def keys(self) -> list[Any]:
        return list(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.values())

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Registry {self.name} ({len(self)})>"
