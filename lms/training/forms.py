"""Forms for assignments, targets, classes, rosters and imports (choices come from the view)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lms.core.forms import MultiCheckboxField


def _this_year() -> int:
    return dt.date.today().year


class AssignmentForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    year = IntegerField(
        _l("Plan year"), default=_this_year, validators=[InputRequired(), NumberRange(2000, 2100)]
    )
    due_date = DateField(_l("Due date"), validators=[Optional()])
    unit_id = SelectField(_l("Unit (with its sub-units)"), coerce=int, default=0)
    job_title = StringField(_l("Only this job title (optional)"), validators=[Length(max=200)])
    people = TextAreaField(_l("Or list people (one username or e-mail per line)"))

    def validate_people(self, field: TextAreaField) -> None:
        if not self.unit_id.data and not (field.data or "").strip():
            raise ValidationError(_l("Choose a unit or list people."))
        if self.unit_id.data and (field.data or "").strip():
            raise ValidationError(_l("Choose either a unit or a list of people, not both."))


class TargetForm(FlaskForm):
    year = IntegerField(
        _l("Plan year"), default=_this_year, validators=[InputRequired(), NumberRange(2000, 2100)]
    )
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    count = IntegerField(
        _l("People to train"),
        validators=[InputRequired(), NumberRange(0, 1_000_000)],
        description=_l("0 removes the target."),
    )


class ClassForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=255)])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=255)])
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    trainer = StringField(_l("Trainer"), validators=[Length(max=200)])
    capacity = IntegerField(_l("Capacity"), default=30, validators=[InputRequired(), NumberRange(1, 1000)])
    unit_id = SelectField(_l("Organising unit"), coerce=int, validators=[DataRequired()])
    invited = SelectMultipleField(_l("Invited units"), coerce=int)

    def validate_ends_on(self, field: DateField) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day is before the first day."))
        if self.starts_on.data and field.data and (field.data - self.starts_on.data).days > 60:
            raise ValidationError(_l("A class lasts at most 60 days."))


class RosterForm(FlaskForm):
    people = TextAreaField(_l("People (one username or e-mail per line)"), validators=[DataRequired()])


class ImportForm(FlaskForm):
    kind = RadioField(
        _l("What the file contains"),
        choices=[("people", _l("People")), ("units", _l("Units"))],
        default="people",
        validators=[DataRequired()],
    )
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired()])
    deactivate_missing = BooleanField(_l("Deactivate people of my units who are not in the file"))


class AttendanceImportForm(FlaskForm):
    file = FileField(_l("CSV file (username or e-mail, date, present)"), validators=[FileRequired()])


class NoticeMailForm(FlaskForm):
    """Which notifications come by e-mail (choices: the notice kinds with their labels)."""

    kinds = MultiCheckboxField(_l("Send me an e-mail when"))
