"""Login, logout, own account (password, language), one-time reset links."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from lms.auth import devices, hooks, services
from lms.auth.access import Access, access
from lms.auth.forms import ChangePasswordForm, LanguageForm, LoginForm, NewPasswordForm
from lms.core import audit
from lms.db import db
from lms.extensions import limiter

bp = Blueprint("auth", __name__, template_folder="templates")


def _typed_login() -> str:
    return request.form.get("login", "").strip().lower()[:120]


def _typed_user_id() -> int | None:
    user = services.find_user_by_login(db.session, _typed_login())
    return user.id if user is not None else None


def _login_key() -> str:
    """Count untrusted failures per account, whether it is named by username or by e-mail."""
    user_id = _typed_user_id()
    return f"login:user:{user_id}" if user_id is not None else "login:" + _typed_login()


def _trusted_device() -> bool:
    """The attempt carries a valid device cookie for the account it names (lms.auth.devices)."""
    return devices.trusted_nonce(_typed_user_id) is not None


def _untrusted_device() -> bool:
    return not _trusted_device()


def _device_key() -> str:
    return f"login:device:{devices.trusted_nonce(_typed_user_id)}"


def _login_failed(response: Response) -> bool:
    return request.method == "POST" and response.status_code == 200


def _limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _safe_next(target: str | None) -> str | None:
    """A local path to go back to, or None.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash,
    so "/\t/evil.example" would leave the site: refuse any control character,
    white space or backslash, and anything with a scheme or host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@access(Access.PUBLIC, reason="the sign-in form")
# Untrusted attempts (no valid device cookie for the account): per address and per account.
@limiter.limit(_limit, methods=["POST"], deduct_when=_login_failed, exempt_when=_trusted_device)
@limiter.limit(
    _limit, methods=["POST"], key_func=_login_key, deduct_when=_login_failed, exempt_when=_trusted_device
)
# Trusted attempts (the owner's own browser): per device cookie only (decision 1402).
@limiter.limit(
    _limit, methods=["POST"], key_func=_device_key, deduct_when=_login_failed, exempt_when=_untrusted_device
)
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.login.data, form.password.data)
        refusal = hooks.password_login_refusal(db.session, user) if user is not None else None
        if user is not None and refusal:
            db.session.rollback()  # no "login" audit row, no last_login_at: the sign-in did not happen
            audit.record(db.session, "login_refused", actor_id=None, subject=f"user:{user.id}")
            db.session.commit()
            flash(refusal, "error")
            return render_template("auth/login.html", form=form)
        db.session.commit()
        if user is not None:
            session.clear()  # a new session on login (no fixation)
            login_user(user)
            session["lang"] = user.locale
            target = _safe_next(request.args.get("next"))
            response = redirect(target or url_for("learning.dashboard"))
            devices.remember_device(response, user.id)
            return response
        flash(_("Wrong username/e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@access(Access.SIGNED_IN)
def logout() -> Response:
    if current_user.is_authenticated:
        audit.record(db.session, "logout", actor_id=current_user.id, subject=f"user:{current_user.id}")
        db.session.commit()
    target = hooks.logout_redirect()  # e.g. the identity provider's end-session endpoint
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(target or url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@access(Access.SIGNED_IN)
def account() -> str | Response:
    form = ChangePasswordForm()
    lang_form = LanguageForm(lang=current_user.locale)
    if form.validate_on_submit():
        if not services.verify_password(current_user, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            services.set_password(current_user, form.password.data)
            audit.record(
                db.session, "password_changed", actor_id=current_user.id, subject=f"user:{current_user.id}"
            )
            db.session.commit()
            # Keep this session valid after the version bump (other sessions end).
            # Pass the real object: login_user(current_user) would store the proxy itself.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, lang_form=lang_form)


@bp.route("/language", methods=["POST"])
@access(Access.PUBLIC, reason="language switch on the login page; stores lang only")
def set_language() -> Response:
    form = LanguageForm()
    lang = form.lang.data if form.validate_on_submit() else None
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    target = _safe_next(request.form.get("next")) or url_for("learning.dashboard")
    return redirect(target)


def _unknown_link(response: Response) -> bool:
    return response.status_code == 404


@bp.route("/reset/<token>", methods=["GET", "POST"])
@access(Access.PUBLIC, reason="one-time link handed to a user who cannot sign in")
@limiter.limit(_limit, deduct_when=_unknown_link)  # guessing links costs like guessing passwords
def reset_password(token: str) -> str | Response:
    row = services.find_reset_token(db.session, token)
    if row is None:
        abort(404)
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.use_reset_token(db.session, row, form.password.data)
        db.session.commit()
        flash(_("Your password has been set. Please log in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=row.user)
