"""Authoring forms: course settings, modules, lessons, authors, publish."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

TOPIC_CHOICES = [
    ("digital-signature", _l("Digital signatures")),
    ("e-documents", _l("Electronic documents")),
    ("online-services", _l("Online public services")),
    ("other", _l("Other")),
]
LANGUAGE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class NewCourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=255)])
    slug = StringField(
        _l("Short name (used in addresses and files)"),
        validators=[
            DataRequired(),
            Length(max=100),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Use only a-z, 0-9 and hyphens, e.g. chu-ky-so-co-ban."),
            ),
        ],
    )
    topic = SelectField(_l("Topic"), choices=TOPIC_CHOICES)
    submit = SubmitField(_l("Create course"))


class CourseSettingsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=255)])
    title_en = StringField(_l("English title"), validators=[Optional(), Length(max=255)])
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=4000)])
    summary_en = TextAreaField(_l("English summary"), validators=[Optional(), Length(max=4000)])
    topic = SelectField(_l("Topic"), choices=TOPIC_CHOICES)
    language = SelectField(_l("Language of the course"), choices=LANGUAGE_CHOICES)
    estimated_hours = DecimalField(
        _l("Estimated hours"), places=2, validators=[InputRequired(), NumberRange(min=0.25, max=1000)]
    )
    certificate_validity_months = IntegerField(
        _l("Certificate valid for (months, 0 = never expires)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=240)],
    )
    prerequisite_ids = SelectMultipleField(_l("Prerequisite courses"), coerce=int, validate_choice=True)
    sequential_modules = BooleanField(_l("Modules must be done in order"))
    require_lessons = BooleanField(_l("Completion: all required lessons"))
    require_quizzes = BooleanField(_l("Completion: all required quizzes passed"))
    require_final_exam = BooleanField(_l("Completion: final exam passed"))
    require_attendance = BooleanField(_l("Completion: class attendance recorded"))
    lock_version = HiddenField()
    submit = SubmitField(_l("Save settings"))

    def __init__(self, *args: object, prerequisite_choices: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.prerequisite_ids.choices = prerequisite_choices


class TitleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=255)])
    submit = SubmitField(_l("Add"))


class ModuleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=255)])
    title_en = StringField(_l("English title"), validators=[Optional(), Length(max=255)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Save module"))


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=255)])
    estimated_minutes = IntegerField(
        _l("Estimated minutes"), validators=[InputRequired(), NumberRange(min=1, max=600)]
    )
    required = BooleanField(_l("Required for completion"))
    body_markdown = TextAreaField(_l("Lesson text (Markdown)"), validators=[Length(max=200_000)])
    image = FileField(_l("Image (PNG, JPEG, GIF or WebP, at most 512 KB)"))
    image_alt = StringField(
        _l("Image description (for people who cannot see it)"), validators=[Length(max=200)]
    )
    lock_version = HiddenField()
    save = SubmitField(_l("Save lesson"))
    preview = SubmitField(_l("Preview"))
    upload = SubmitField(_l("Upload image"))


class AuthorForm(FlaskForm):
    username = StringField(_l("Username of the trainer"), validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("Add author"))


class PublishForm(FlaskForm):
    note = TextAreaField(
        _l("What changed (optional, shown in the version history)"), validators=[Length(max=2000)]
    )
    submit = SubmitField(_l("Publish"))
