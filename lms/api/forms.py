"""The admin form for an API token; it validates only, never writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms import DateField, SelectMultipleField, StringField, SubmitField, widgets
from wtforms.validators import DataRequired, Length, ValidationError

from lms.api.models import ApiScope
from lms.org.models import OrgUnit

SCOPE_LABELS = {
    ApiScope.PEOPLE_WRITE: _l("people:write: create and update people"),
    ApiScope.UNITS_WRITE: _l("units:write: create and update units"),
    ApiScope.COURSES_READ: _l("courses:read: read the course list"),
    ApiScope.REPORTS_READ: _l("reports:read: read assignments, enrolments, progress and completions"),
    ApiScope.CERTIFICATES_READ: _l("certificates:read: read certificates"),
}


class TokenForm(FlaskForm):
    name = StringField(_l("Name (which system uses it)"), validators=[DataRequired(), Length(max=120)])
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=[(scope.value, label) for scope, label in SCOPE_LABELS.items()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(_l("Choose at least one scope."))],
    )
    unit_code = StringField(
        _l("Unit code (the token sees this unit and the units below it)"),
        validators=[DataRequired(), Length(max=40)],
    )
    expires_on = DateField(_l("Expires on"), validators=[DataRequired()])
    submit = SubmitField(_l("Create token"))

    def __init__(self, session: Session, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session = session
        self._today = today
        self.unit: OrgUnit | None = None
        if not self.is_submitted():
            self.expires_on.data = today + dt.timedelta(days=365)

    def validate_unit_code(self, field: Any) -> None:
        code = (field.data or "").strip().lower()
        self.unit = self._session.scalars(select(OrgUnit).where(func.lower(OrgUnit.code) == code)).first()
        if self.unit is None:
            raise ValidationError(_l("No unit has this code."))

    def validate_expires_on(self, field: Any) -> None:
        if field.data is not None and not (
            self._today < field.data <= self._today + dt.timedelta(days=3 * 366)
        ):
            raise ValidationError(_l("Choose a date after today and within three years."))
