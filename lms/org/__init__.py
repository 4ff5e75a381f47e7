"""The unit tree: province → departments/districts → communes, any depth."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the demo-data command; the tree's pages live in lms.admin."""
    import lms.org.demo  # noqa: F401
