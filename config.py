"""Configuration classes, read from environment variables (prefix LMS_)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("LMS_INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key() -> str:
    """Generate a secret key once and keep it in instance/ (development only)."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "development"
    SQLALCHEMY_DATABASE_URL = os.environ.get("LMS_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'lms.sqlite3'}")
    SQLALCHEMY_ECHO = _env_bool("LMS_SQL_ECHO")
    # Public absolute URL of the site, used in certificate QR codes and e-mails.
    PUBLIC_URL = os.environ.get("LMS_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    # Mount point behind the province portal, e.g. "/hoc-truc-tuyen".
    URL_PREFIX = os.environ.get("LMS_URL_PREFIX", "").rstrip("/")
    # Number of reverse proxies in front of the app whose X-Forwarded-* to trust.
    PROXY_COUNT = int(os.environ.get("LMS_PROXY_COUNT", "0"))
    INSTANCE_PATH = str(INSTANCE_DIR)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("LMS_SECURE_COOKIES")
    SESSION_COOKIE_NAME = "lms_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    MAX_CONTENT_LENGTH = int(os.environ.get("LMS_MAX_UPLOAD_BYTES", str(64 * 1024 * 1024)))

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    RATELIMIT_STORAGE_URI = os.environ.get("LMS_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_FAILURE_LIMIT = os.environ.get("LMS_LOGIN_FAILURE_LIMIT", "10 per 15 minutes")

    SMTP_HOST = os.environ.get("LMS_SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("LMS_SMTP_PORT", "587"))
    SMTP_USER = os.environ.get("LMS_SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("LMS_SMTP_PASSWORD", "")
    MAIL_FROM = os.environ.get("LMS_MAIL_FROM", "lms@localhost")

    # Certificates: PKCS#12 of the issuing body (PAdES signing) and PEM trust roots
    # (":"-separated) for validation. Unset: instance/signing/ from `lms certificates dev-keys`.
    SIGNING_P12 = os.environ.get("LMS_SIGNING_P12", "")
    SIGNING_P12_PASSPHRASE = os.environ.get("LMS_SIGNING_P12_PASSPHRASE", "")
    SIGNING_TRUST_ROOTS = os.environ.get("LMS_SIGNING_TRUST_ROOTS", "")
    CERT_VERIFY_RATE_LIMIT = os.environ.get("LMS_CERT_VERIFY_RATE_LIMIT", "30 per minute")

    ORG_NAME = os.environ.get("LMS_ORG_NAME", "UBND tỉnh Quảng Ninh")
    ISSUER_NAME = os.environ.get("LMS_ISSUER_NAME", "Sở Khoa học và Công nghệ tỉnh Quảng Ninh")

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("LMS_SECRET_KEY") or self._default_secret_key()

    def _default_secret_key(self) -> str:
        return _dev_secret_key()


class DevelopmentConfig(Config):
    DEBUG = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("LMS_SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    def _default_secret_key(self) -> str:
        raise RuntimeError("LMS_SECRET_KEY must be set in production")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URL = os.environ.get("LMS_TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    PUBLIC_URL = "http://lms.test"

    def _default_secret_key(self) -> str:
        return "test-secret-key"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def load_config(name: str | None = None) -> Config:
    """Return the config object for name (default: $LMS_ENV or development)."""
    name = name or os.environ.get("LMS_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"Unknown LMS_ENV {name!r}; use one of {sorted(CONFIGS)}") from None
