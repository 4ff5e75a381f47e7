"""Admin forms. Each takes its context (session, the unit choices, the user edited) in the constructor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from lms.auth import services as auth_services
from lms.auth.models import ITQualification, Role, User
from lms.core.forms import MultiCheckboxField
from lms.org import services as org_services
from lms.org.models import OrgUnit, UnitKind, path_within

NO_UNIT = 0

ROLE_LABELS = {
    Role.LEARNER.value: _l("Learner"),
    Role.TRAINER.value: _l("Trainer"),
    Role.HR.value: _l("HR officer"),
    Role.ADMIN.value: _l("Administrator"),
}
QUALIFICATION_LABELS = {
    ITQualification.MASTER.value: _l("Master's degree in IT"),
    ITQualification.BACHELOR.value: _l("Bachelor's degree in IT"),
    ITQualification.COLLEGE.value: _l("College diploma in IT"),
    ITQualification.INTERMEDIATE.value: _l("Intermediate IT certificate"),
    ITQualification.NONE.value: _l("No IT qualification"),
}
KIND_LABELS = {
    UnitKind.PROVINCE.value: _l("Province"),
    UnitKind.DEPARTMENT.value: _l("Department"),
    UnitKind.DISTRICT.value: _l("District-level locality (before 1/7/2025)"),
    UnitKind.COMMUNE.value: _l("Commune-level locality"),
    UnitKind.OFFICE.value: _l("Office"),
    UnitKind.OTHER.value: _l("Other"),
}
USERNAME_RE = r"^[A-Za-z0-9._-]+$"
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def unit_choices(
    session: Session, blank: Any, *, exclude_subtree: OrgUnit | None = None
) -> list[tuple[int, str]]:
    """Active units as (id, indented name), in tree order; one SELECT."""
    stmt = select(OrgUnit.id, OrgUnit.name, OrgUnit.code, OrgUnit.depth, OrgUnit.path).where(
        OrgUnit.is_active.is_(True)
    )
    choices: list[tuple[int, str]] = [(NO_UNIT, str(blank))]
    rows = session.execute(stmt.order_by(OrgUnit.path)).all()
    for row in _tree_order(rows):
        if exclude_subtree is not None and path_within(row.path, exclude_subtree):
            continue
        choices.append((row.id, "\u00a0\u00a0" * row.depth + f"{row.name} ({row.code})"))
    return choices


def _tree_order(rows: Sequence[Any]) -> list[Any]:
    """Depth-first order with siblings sorted by name (paths sort by id, not name)."""
    children: dict[int | None, list[Any]] = {}
    ids = {r.id for r in rows}
    for r in rows:
        parts = [int(p) for p in r.path.strip("/").split("/") if p]
        parent = parts[-2] if len(parts) > 1 else None
        children.setdefault(parent if parent in ids else None, []).append(r)
    out: list[Any] = []

    def walk(parent: int | None) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: r.name):
            out.append(r)
            walk(r.id)

    walk(None)
    return out


class UserFilterForm(FlaskForm):
    """GET filters on the user list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])
    unit = SelectField(_l("Unit (with sub-units)"), coerce=int, validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    submit = SubmitField(_l("Filter"))

    def __init__(self, session: Session, **kw: Any) -> None:
        super().__init__(**kw)
        self.role.choices = [("", _l("All roles")), *ROLE_LABELS.items()]
        self.unit.choices = unit_choices(session, _l("All units"))
        self.status.choices = [("", _l("All")), ("active", _l("Active")), ("inactive", _l("Deactivated"))]


class UserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Enter a username.")),
            Length(min=3, max=80, message=_l("The username must have 3 to 80 characters.")),
            Regexp(
                USERNAME_RE,
                message=_l("Use only letters without accents, digits, dots, dashes and underscores."),
            ),
        ],
    )
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter the full name.")), Length(max=200)],
    )
    email = EmailField(
        _l("E-mail"),
        validators=[
            Optional(),
            # A plain pattern, not wtforms.Email: that needs the email_validator package.
            Regexp(EMAIL_RE, message=_l("This is not a valid e-mail address.")),
            Length(max=255),
        ],
    )
    org_unit = SelectField(_l("Unit"), coerce=int)
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    # No preselected level: the first choice used to be the highest degree, which new accounts got silently.
    it_qualification = SelectField(
        _l("IT qualification"),
        choices=[("", _l("— choose —")), *QUALIFICATION_LABELS.items()],
        validators=[InputRequired()],
    )
    roles = MultiCheckboxField(_l("Roles"), choices=list(ROLE_LABELS.items()))
    scope_unit = SelectField(_l("HR scope (unit and its sub-units)"), coerce=int)
    submit = SubmitField(_l("Save"))

    def __init__(self, session: Session, user: User | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self._session = session
        self._user = user
        self.org_unit.choices = unit_choices(session, _l("— no unit —"))
        self.scope_unit.choices = unit_choices(session, _l("— none —"))

    def validate_username(self, field: StringField) -> None:
        if field.data and auth_services.username_taken(self._session, field.data, exclude=self._user):
            raise ValidationError(_l("This username is already used by another account."))

    def validate_email(self, field: EmailField) -> None:
        if field.data and auth_services.email_taken(self._session, field.data, exclude=self._user):
            raise ValidationError(_l("This e-mail address is already used by another account."))

    def validate_roles(self, field: MultiCheckboxField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one role."))

    def validate_scope_unit(self, field: SelectField) -> None:
        is_hr = Role.HR.value in (self.roles.data or [])
        if is_hr and field.data == NO_UNIT:
            raise ValidationError(
                _l("An HR officer needs a scope unit: choose the unit whose people they manage.")
            )
        if not is_hr and field.data != NO_UNIT:
            raise ValidationError(
                _l("Only HR officers have a scope unit. Tick the HR officer role or choose none.")
            )


class UnitForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(_l("Enter a code.")),
            Length(max=40, message=_l("The code may have at most 40 characters.")),
            Regexp(
                r"^[A-Za-z0-9._-]+$", message=_l("Use only letters without accents, digits, dots and dashes.")
            ),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=255)])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    is_remote = BooleanField(_l("Remote area (mountain or island)"))
    submit = SubmitField(_l("Save"))

    def __init__(self, session: Session, unit: OrgUnit | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self._session = session
        self._unit = unit

    def validate_code(self, field: StringField) -> None:
        if field.data and org_services.code_taken(self._session, field.data, exclude=self._unit):
            raise ValidationError(_l("Another unit already has this code."))


class NewUnitForm(UnitForm):
    parent = SelectField(_l("Parent unit"), coerce=int)

    def __init__(self, session: Session, **kw: Any) -> None:
        super().__init__(session, **kw)
        self.parent.choices = unit_choices(session, _l("— top level —"))


class MoveUnitForm(FlaskForm):
    parent = SelectField(_l("New parent unit"), coerce=int)
    submit = SubmitField(_l("Move"))

    def __init__(self, session: Session, unit: OrgUnit, **kw: Any) -> None:
        super().__init__(**kw)
        self._unit = unit
        # A unit cannot move under itself or its own sub-units.
        self.parent.choices = unit_choices(session, _l("— top level —"), exclude_subtree=unit)

    def validate_parent(self, field: SelectField) -> None:
        if (field.data or None) == self._unit.parent_id:
            raise ValidationError(_l("The unit is already there. Choose another parent unit."))


class MergeUnitForm(FlaskForm):
    target = SelectField(_l("Merge into"), coerce=int)
    confirm = HiddenField()
    submit = SubmitField(_l("Continue"))

    def __init__(self, session: Session, unit: OrgUnit, **kw: Any) -> None:
        super().__init__(**kw)
        self.target.choices = unit_choices(session, _l("— choose a unit —"), exclude_subtree=unit)

    def validate_target(self, field: SelectField) -> None:
        if field.data == NO_UNIT:
            raise ValidationError(_l("Choose the unit to merge into."))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Done by (username)"), validators=[Optional(), Length(max=80)])
    subject = StringField(_l("Subject (e.g. user:12)"), validators=[Optional(), Length(max=120)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    submit = SubmitField(_l("Filter"))

    def __init__(self, actions: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(**kw)
        self.action.choices = [("", _l("All actions")), *actions]
