"""Forms for issuing, revoking, reissuing and verifying certificates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class ReissueForm(ReasonForm):
    holder_name = StringField(
        _l("Full name on the new certificate"), validators=[Optional(), Length(max=200)]
    )


class IssueForm(FlaskForm):
    username = StringField(_l("Username of the learner"), validators=[DataRequired(), Length(max=80)])
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])

    def __init__(self, *args, courses=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.course_id.choices = [(c.id, c.title) for c in courses]


class CodeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    code = StringField(_l("Certificate code"), validators=[DataRequired(), Length(max=60)])


class UploadForm(FlaskForm):
    pdf = FileField(_l("Certificate file (PDF, or Open Badge .jwt/.json)"), validators=[DataRequired()])


class BulkVerifyForm(FlaskForm):
    codes = TextAreaField(_l("Codes, one per line"), validators=[Optional(), Length(max=100_000)])
    file = FileField(_l("Or a text/CSV file of codes"))
