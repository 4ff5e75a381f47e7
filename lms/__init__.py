"""The learning site's application factory."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

from config import Config, load_config

# Feature packages, in dependency order. Each exposes init_app(app), which
# registers its blueprint, CLI commands and hooks.
FEATURES = (
    "core",
    "auth",
    "jobs",
    "admin",
    "sso",
    "catalog",
    "learning",
    "quizzes",
    "certificates",
    "training",
    "reports",
    "authoring",
    "lti",
    "xapi",
    "api",
    "demo",
)


def create_app(config: Config | str | None = None, **overrides: object) -> Flask:
    """Create the Flask app. ``config`` is a Config object or its name."""
    if not isinstance(config, Config):
        config = load_config(config)
    instance_path = str(overrides.get("INSTANCE_PATH", config.INSTANCE_PATH))
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object(config)
    app.config.update(overrides)

    for name in FEATURES:
        import_module(f"lms.{name}").init_app(app)
    return app
