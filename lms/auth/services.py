"""Passwords, authentication and one-time reset links."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from lms.auth.models import PasswordResetToken, Role, User
from lms.auth.signals import user_unit_changed
from lms.core import audit
from lms.db import utcnow
from lms.org.models import OrgUnit
from lms.org.services import check_merge, merge_unit_tree

# argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane), chosen rather than the library's defaults
# (64 MiB, t=3, p=4): a login costs ~27 ms of one core instead of ~165 ms, so 200 learners signing in
# at once on two cores stay in seconds, not tens of seconds. Stored hashes made with other parameters
# are re-hashed on the next successful login (`authenticate`). See docs/decisions/1901-*.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM
)
# Verified against when the user is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 10
RESET_TOKEN_TTL = dt.timedelta(hours=48)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(stored: str) -> bool:
    """True when a stored hash was made with other parameters than today's (or another algorithm)."""
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def verify_password(user: User | None, password: str) -> bool:
    """Check a password in constant work whether or not the user exists."""
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        ok: bool = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and user is not None and bool(user.password_hash)


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1


def find_user_by_login(session: Session, login: str) -> User | None:
    """Find a user by username or e-mail (case-insensitive)."""
    login = login.strip().lower()
    if not login:
        return None
    stmt = select(User).where(or_(func.lower(User.username) == login, func.lower(User.email) == login))
    return session.scalars(stmt).first()


def authenticate(session: Session, login: str, password: str) -> User | None:
    """Return the active user whose credentials match, and audit the attempt."""
    user = find_user_by_login(session, login)
    ok = verify_password(user, password)
    if user is not None and ok and user.is_active:
        user.last_login_at = utcnow()
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        audit.record(session, "login", actor_id=user.id, subject=f"user:{user.id}")
        return user
    audit.record(
        session,
        "login_failed",
        actor_id=None,
        subject=f"user:{user.id}" if user else "",
        login=login[:120],
    )
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_reset_token(session: Session, user: User, *, by: User) -> str:
    """Make a one-time password reset token; returns the clear token (shown once)."""
    token = secrets.token_urlsafe(32)
    # Only the newest link works: older unused links of this user are spent.
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + RESET_TOKEN_TTL,
            created_by_id=by.id,
        )
    )
    audit.record(session, "password_reset_link", actor_id=by.id, subject=f"user:{user.id}")
    session.flush()
    return token


def find_reset_token(session: Session, token: str) -> PasswordResetToken | None:
    row = session.scalars(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at < utcnow() or not row.user.is_active:
        return None
    return row


def use_reset_token(session: Session, row: PasswordResetToken, password: str) -> User:
    """Set the password and spend the link (its user's other sessions end)."""
    row.used_at = utcnow()
    set_password(row.user, password)
    audit.record(session, "password_reset", actor_id=row.user_id, subject=f"user:{row.user_id}")
    session.flush()
    return row.user


# --- Account management (admin pages, people import) -------------------------


class AccountError(ValueError):
    """A change that would break an account rule; ``code`` says which.

    Codes: "username_taken", "email_taken", "own_admin_role", "self_deactivation".
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def username_taken(session: Session, username: str, *, exclude: User | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.username) == username.strip().lower())
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(User.id != exclude.id)
    return session.scalar(stmt) is not None


def email_taken(session: Session, email: str, *, exclude: User | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.email) == email.strip().lower())
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(User.id != exclude.id)
    return session.scalar(stmt) is not None


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    by: User | None,
    email: str | None = None,
    org_unit: OrgUnit | None = None,
    job_title: str = "",
    it_qualification: str = "none",
    roles: set[str] | None = None,
    scope_unit: OrgUnit | None = None,
    locale: str = "vi",
    password: str | None = None,
) -> User:
    """Create an account (no usable password unless given) and announce its unit."""
    if username_taken(session, username):
        raise AccountError("username_taken")
    if email and email_taken(session, email):
        raise AccountError("email_taken")
    user = User(
        username=username.strip(),
        email=(email or "").strip().lower() or None,
        full_name=full_name.strip(),
        org_unit_id=org_unit.id if org_unit else None,
        job_title=job_title.strip(),
        it_qualification=it_qualification,
        scope_unit_id=scope_unit.id if scope_unit else None,
        locale=locale,
        password_hash=hash_password(password) if password else "",
    )
    user.set_roles(roles or {Role.LEARNER.value})
    session.add(user)
    session.flush()
    actor = by.id if by else None
    audit.record(
        session,
        "user_created",
        actor_id=actor,
        subject=f"user:{user.id}",
        username=user.username,
        roles=sorted(user.roles),
        unit=user.org_unit_id,
        scope=user.scope_unit_id,
    )
    if user.org_unit_id is not None:
        user_unit_changed.send(user, session=session, old_unit_id=None)
    return user


def update_user(
    session: Session,
    user: User,
    *,
    by: User,
    full_name: str,
    email: str | None,
    org_unit: OrgUnit | None,
    job_title: str,
    it_qualification: str,
    roles: set[str],
    scope_unit: OrgUnit | None,
    username: str | None = None,
) -> list[str]:
    """Apply an admin's edit; audits role and scope changes; returns what changed."""
    if user.id == by.id and Role.ADMIN.value not in roles:
        raise AccountError("own_admin_role")
    if username is not None and username.strip() != user.username:
        if username_taken(session, username, exclude=user):
            raise AccountError("username_taken")
        user.username = username.strip()
    email = (email or "").strip().lower() or None
    if email and email_taken(session, email, exclude=user):
        raise AccountError("email_taken")
    changed: list[str] = []
    for attr, value in (
        ("full_name", full_name.strip()),
        ("email", email),
        ("job_title", job_title.strip()),
        ("it_qualification", it_qualification),
    ):
        if getattr(user, attr) != value:
            setattr(user, attr, value)
            changed.append(attr)
    old_roles = set(user.roles)
    if old_roles != roles:
        user.set_roles(roles)
        changed.append("roles")
        audit.record(
            session,
            "roles_changed",
            actor_id=by.id,
            subject=f"user:{user.id}",
            old=sorted(old_roles),
            new=sorted(roles),
        )
    new_scope = scope_unit.id if scope_unit else None
    if user.scope_unit_id != new_scope:
        audit.record(
            session,
            "scope_changed",
            actor_id=by.id,
            subject=f"user:{user.id}",
            old=user.scope_unit_id,
            new=new_scope,
        )
        user.scope_unit_id = new_scope
        user.scope_unit = scope_unit
        changed.append("scope")
    old_unit = user.org_unit_id
    new_unit = org_unit.id if org_unit else None
    if old_unit != new_unit:
        user.org_unit_id = new_unit
        user.org_unit = org_unit
        changed.append("unit")
    session.flush()
    if changed:
        audit.record(session, "user_updated", actor_id=by.id, subject=f"user:{user.id}", fields=changed)
    if "unit" in changed and new_unit is not None:
        user_unit_changed.send(user, session=session, old_unit_id=old_unit)
    return changed


def deactivate_user(session: Session, user: User, *, by: User) -> None:
    """Block the account; its open sessions stop working (session_version bump)."""
    if user.id == by.id:
        raise AccountError("self_deactivation")
    if not user.is_active:
        return
    user.is_active = False
    user.session_version = (user.session_version or 0) + 1
    audit.record(session, "user_deactivated", actor_id=by.id, subject=f"user:{user.id}")
    session.flush()


def reactivate_user(session: Session, user: User, *, by: User) -> None:
    if user.is_active:
        return
    user.is_active = True
    audit.record(session, "user_reactivated", actor_id=by.id, subject=f"user:{user.id}")
    session.flush()


def people_count(session: Session, unit: OrgUnit) -> int:
    """People whose own unit is this one (not its sub-units)."""
    return session.scalar(select(func.count(User.id)).where(User.org_unit_id == unit.id)) or 0


def merge_units(session: Session, source: OrgUnit, target: OrgUnit, *, by: User | None = None) -> int:
    """Merge source into target: people, scopes and child units move; source is deactivated.

    Returns the number of people moved. Raises ``lms.org.services.OrgError`` for a merge into
    the unit itself or one of its sub-units.
    """
    check_merge(source, target)
    moved_ids = list(session.scalars(select(User.id).where(User.org_unit_id == source.id)))
    for column in (User.org_unit_id, User.scope_unit_id):  # their people, then the HR scopes on it
        session.execute(
            update(User)
            .where(column == source.id)
            .values({column: target.id})
            .execution_options(synchronize_session=False)
        )
    moved = len(moved_ids)
    merge_unit_tree(session, source, target)
    # Announce each moved person (training gives them the new unit's assignments).
    for person in session.scalars(select(User).where(User.id.in_(moved_ids))) if moved_ids else ():
        user_unit_changed.send(person, session=session, old_unit_id=source.id)
    if by is not None:
        audit.record(
            session,
            "unit_merged",
            actor_id=by.id,
            subject=f"unit:{source.id}",
            into=target.id,
            people_moved=moved,
        )
    return moved
