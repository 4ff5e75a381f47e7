"""The administrators' sign-on rules form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.auth.models import User
from lms.org.models import OrgUnit


def _strip(value: str | None) -> str:
    return (value or "").strip()


class StartForm(FlaskForm):
    """The "sign in with the province account" button (CSRF only)."""


class SettingsForm(FlaskForm):
    link_by_verified_email = BooleanField(_l("Link to the account with the same e-mail (only if verified)"))
    link_by_username = BooleanField(_l("Link to the account with the same username"))
    create_accounts = BooleanField(_l("Otherwise create the account in the holding unit"))
    holding_unit = StringField(
        _l("Holding unit code"),
        validators=[Optional(), Length(max=50)],
        filters=[lambda v: (v or "").strip()],
    )
    local_passwords_off = BooleanField(
        _l("Local passwords off for staff (administrators keep theirs for emergencies)")
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, session: Session, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session = session
        self.unit: OrgUnit | None = None

    def validate_holding_unit(self, field: StringField) -> None:
        if not field.data:
            return
        self.unit = self._session.scalar(
            select(OrgUnit).where(func.lower(OrgUnit.code) == field.data.lower())
        )
        if self.unit is None:
            raise ValidationError(_l("No unit has this code."))

    def validate_create_accounts(self, field: BooleanField) -> None:
        if field.data and not self.holding_unit.data:
            raise ValidationError(_l("Choose the holding unit where new accounts wait for HR."))


class UnlinkForm(FlaskForm):
    username = StringField(
        _l("Username"), validators=[DataRequired(_l("Enter a username.")), Length(max=80)], filters=[_strip]
    )
    submit = SubmitField(_l("Unlink the province account"))

    def __init__(self, session: Session, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session = session
        self.user: User | None = None

    def validate_username(self, field: StringField) -> None:
        self.user = self._session.scalar(select(User).where(func.lower(User.username) == field.data.lower()))
        if self.user is None:
            raise ValidationError(_l("No account has this username."))
