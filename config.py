"""Configuration classes, read from environment variables (prefix LMS_)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _instance_dir() -> Path:
    return Path(os.environ.get("LMS_INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _url_prefix(value: str) -> str:
    """Normalise a mount point: "" or "/hoc-truc-tuyen" (leading slash, no trailing one)."""
    value = value.strip().strip("/")
    return f"/{value}" if value else ""


def _dev_secret_key() -> str:
    """Generate a secret key once and keep it in instance/ (development only)."""
    path = _instance_dir() / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    """Settings shared by every environment.

    Values that come from the environment are read when the object is created
    (not when this module is imported), so a process or a test can set them first.
    """

    ENV_NAME = "development"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "lms_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    RATELIMIT_HEADERS_ENABLED = True
    SECURE_COOKIES_DEFAULT = False

    def __init__(self) -> None:
        env = os.environ.get
        self.INSTANCE_PATH = str(_instance_dir())
        self.SQLALCHEMY_DATABASE_URL = self._database_url()
        self.SQLALCHEMY_ECHO = _env_bool("LMS_SQL_ECHO")
        # Public absolute URL of the site, used in certificate QR codes and e-mails.
        self.PUBLIC_URL = env("LMS_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
        # Mount point behind the province portal, e.g. "/hoc-truc-tuyen".
        self.URL_PREFIX = _url_prefix(env("LMS_URL_PREFIX", ""))
        # Number of reverse proxies in front of the app whose X-Forwarded-* to trust.
        self.PROXY_COUNT = int(env("LMS_PROXY_COUNT", "0"))
        self.SESSION_COOKIE_SECURE = _env_bool("LMS_SECURE_COOKIES", self.SECURE_COOKIES_DEFAULT)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.MAX_CONTENT_LENGTH = int(env("LMS_MAX_UPLOAD_BYTES", str(64 * 1024 * 1024)))
        # Redis: the job queue (RedisHuey) and the shared rate-limit store. Unset: SqliteHuey in
        # instance/jobs.sqlite3 and per-process limits (one host).
        self.REDIS_URL = env("LMS_REDIS_URL", "")
        self.RATELIMIT_STORAGE_URI = env("LMS_RATELIMIT_STORAGE_URI", "") or self.REDIS_URL or "memory://"
        # Redis unreachable: count in this process's memory instead of failing requests.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        if self.RATELIMIT_STORAGE_URI.startswith(("redis://", "rediss://")):
            self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
        # Jobs: a running job without a heartbeat for this long is given to another consumer.
        self.JOB_LEASE_SECONDS = int(env("LMS_JOB_LEASE_SECONDS", "300"))
        self.JOB_RETRY_BASE_SECONDS = float(env("LMS_JOB_RETRY_BASE_SECONDS", "10"))
        self.JOB_REQUEUE_SECONDS = int(env("LMS_JOB_REQUEUE_SECONDS", "1800"))
        self.JOB_FILE_TTL_HOURS = int(env("LMS_JOB_FILE_TTL_HOURS", "48"))
        self.JOB_KEEP_DAYS = int(env("LMS_JOB_KEEP_DAYS", "14"))  # finished jobs then leave the jobs table
        # Exports with more rows than this become jobs (smaller ones stream at once).
        self.EXPORT_JOB_THRESHOLD = int(env("LMS_EXPORT_JOB_THRESHOLD", "5000"))
        # People/unit imports with more rows than this are written by a job.
        self.IMPORT_JOB_THRESHOLD = int(env("LMS_IMPORT_JOB_THRESHOLD", "2000"))
        # Certificate ZIPs with more PDFs than this become jobs.
        self.CERT_ZIP_JOB_THRESHOLD = int(env("LMS_CERT_ZIP_JOB_THRESHOLD", "100"))
        # Off only for load tests on 127.0.0.1 (benchmarks/quiz_autosave.py): many saves per learner.
        self.RATELIMIT_ENABLED = _env_bool("LMS_RATELIMIT_ENABLED", True)
        self.LOGIN_FAILURE_LIMIT = env("LMS_LOGIN_FAILURE_LIMIT", "10 per 15 minutes")
        self.SMTP_HOST = env("LMS_SMTP_HOST", "")
        self.SMTP_PORT = int(env("LMS_SMTP_PORT", "587"))
        self.SMTP_USER = env("LMS_SMTP_USER", "")
        self.SMTP_PASSWORD = env("LMS_SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _env_bool("LMS_SMTP_STARTTLS", True)
        self.MAIL_FROM = env("LMS_MAIL_FROM", "lms@localhost")
        # Seconds after a quiz deadline during which saves already in flight are still accepted.
        self.QUIZ_GRACE_SECONDS = int(env("LMS_QUIZ_GRACE_SECONDS", "30"))
        self.ORG_NAME = env("LMS_ORG_NAME", "UBND tỉnh Quảng Ninh")
        self.ISSUER_NAME = env("LMS_ISSUER_NAME", "Sở Khoa học và Công nghệ tỉnh Quảng Ninh")
        # Certificates: PKCS#12 of the issuing body (PAdES signing) and PEM trust roots
        # (":"-separated) for validation. Unset: instance/signing/ from `lms certificates dev-keys`.
        self.SIGNING_P12 = env("LMS_SIGNING_P12", "")
        self.SIGNING_P12_PASSPHRASE = env("LMS_SIGNING_P12_PASSPHRASE", "")
        self.SIGNING_TRUST_ROOTS = env("LMS_SIGNING_TRUST_ROOTS", "")
        # RFC 3161 time-stamping authority: signatures become PAdES B-T/B-LT (decision 1404).
        # Its root certificate must be in LMS_SIGNING_TRUST_ROOTS.
        self.SIGNING_TSA_URL = env("LMS_SIGNING_TSA_URL", "")
        # Open Badges 3.0 (decision 1732): RSA private key (PEM) that signs the credentials and the
        # status list; unset → the PAdES key above. Retired keys (PEM public keys, certificates or
        # private keys, ":"-separated) stay published so credentials they signed still verify.
        self.BADGE_KEY_FILE = env("LMS_BADGE_KEY_FILE", "")
        self.BADGE_RETIRED_KEYS = env("LMS_BADGE_RETIRED_KEYS", "")
        # LTI: a rotated signing key stays in the published JWKS this long (platforms cache keys).
        self.LTI_KEY_GRACE_HOURS = int(env("LMS_LTI_KEY_GRACE_HOURS", "72"))
        self.CERT_VERIFY_RATE_LIMIT = env("LMS_CERT_VERIFY_RATE_LIMIT", "30 per minute")
        self.API_RATE_LIMIT = env("LMS_API_RATE_LIMIT", "300 per minute")  # per HR API token (decision 1712)
        # Single sign-on with the province's OpenID Provider (lms/sso, decisions 1701-1703). Off while
        # LMS_OIDC_ISSUER is unset; linking rules and the local-password switch are admin settings.
        self.OIDC_ISSUER = env("LMS_OIDC_ISSUER", "").rstrip("/")
        self.OIDC_CLIENT_ID = env("LMS_OIDC_CLIENT_ID", "")
        self.OIDC_CLIENT_SECRET = env("LMS_OIDC_CLIENT_SECRET", "")
        self.OIDC_SCOPES = env("LMS_OIDC_SCOPES", "openid email profile")
        self.OIDC_USERNAME_CLAIM = env("LMS_OIDC_USERNAME_CLAIM", "preferred_username")
        self.OIDC_TIMEOUT_SECONDS = float(env("LMS_OIDC_TIMEOUT_SECONDS", "5"))
        self.OIDC_CLOCK_SKEW_SECONDS = int(env("LMS_OIDC_CLOCK_SKEW_SECONDS", "60"))
        # xAPI statements to the province's Learning Record Store (lms/xapi, decisions 1721-1724). Off
        # while LMS_XAPI_ENDPOINT (the LRS's xAPI base, e.g. https://lrs.example/xAPI) is unset.
        self.XAPI_ENDPOINT = env("LMS_XAPI_ENDPOINT", "").rstrip("/")
        self.XAPI_KEY = env("LMS_XAPI_KEY", "")
        self.XAPI_SECRET = env("LMS_XAPI_SECRET", "")
        self.XAPI_ACTOR = env("LMS_XAPI_ACTOR", "account")  # account | pseudonymous | mbox (e-mail)
        self.XAPI_PSEUDONYM_KEY = env("LMS_XAPI_PSEUDONYM_KEY", "")
        self.XAPI_ACCOUNT_HOMEPAGE = env("LMS_XAPI_ACCOUNT_HOMEPAGE", "")  # default: the activity base
        self.XAPI_ACTIVITY_BASE = env("LMS_XAPI_ACTIVITY_BASE", "")  # default: LMS_PUBLIC_URL
        self.XAPI_PLATFORM = env("LMS_XAPI_PLATFORM", "LMS")  # context.platform of every statement
        self.XAPI_BATCH_SIZE = int(env("LMS_XAPI_BATCH_SIZE", "50"))
        self.XAPI_SEND_DELAY_SECONDS = float(env("LMS_XAPI_SEND_DELAY_SECONDS", "5"))
        self.XAPI_TIMEOUT_SECONDS = float(env("LMS_XAPI_TIMEOUT_SECONDS", "10"))
        # Delivered statements stay in the outbox this long (the LRS is the record), then a daily job
        # deletes them; pending and refused statements are never deleted.
        self.XAPI_KEEP_SENT_DAYS = int(env("LMS_XAPI_KEEP_SENT_DAYS", "30"))
        self.SECRET_KEY = env("LMS_SECRET_KEY") or self._default_secret_key()

    def _database_url(self) -> str:
        return os.environ.get("LMS_DATABASE_URL") or f"sqlite:///{_instance_dir() / 'lms.sqlite3'}"

    def _default_secret_key(self) -> str:
        return _dev_secret_key()


class DevelopmentConfig(Config):
    DEBUG = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECURE_COOKIES_DEFAULT = True

    def _default_secret_key(self) -> str:
        raise RuntimeError("LMS_SECRET_KEY must be set in production")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.PUBLIC_URL = "http://lms.test"

    def _database_url(self) -> str:
        return os.environ.get("LMS_TEST_DATABASE_URL", "sqlite://")

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
