"""Authoring forms: course settings, modules, lessons, authors, publish."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from lms.catalog.models import exam_opening_day
from lms.quizzes import kinds

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
            Optional(),  # empty: made from the title
            Length(max=100),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Use only a-z, 0-9 and hyphens, e.g. chu-ky-so-co-ban."),
            ),
        ],
    )
    # Publishing needs a summary: ask for it now rather than at the first publish.
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=4000)])
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
    final_exam_opens = SelectField(
        _l("The final exam opens"),
        choices=[
            ("modules", _l("when every module is complete (lessons and module quizzes)")),
            ("lessons", _l("when every required lesson is read")),
            ("enrolment", _l("from enrolment")),
            ("date", _l("from a date")),
        ],
        default="modules",
    )
    final_exam_opens_on = DateField(_l("Opening date (when “from a date”)"), validators=[Optional()])
    lock_version = HiddenField()
    submit = SubmitField(_l("Save settings"))

    def validate_final_exam_opens(self, field: SelectField) -> None:
        # Here, not on the date field: its Optional() stops that field's checks when it is empty.
        if field.data == "date" and self.final_exam_opens_on.data is None:
            raise ValidationError(_l("Choose the day the final exam opens."))

    def show_exam_opening(self, stored: str) -> None:
        """Show a stored opening ("modules"… or a day) in the two fields."""
        day = exam_opening_day(stored)
        self.final_exam_opens.data = "date" if day else stored
        self.final_exam_opens_on.data = day

    def exam_opening(self) -> str:
        """The stored form of the chosen opening."""
        if self.final_exam_opens.data == "date" and self.final_exam_opens_on.data:
            return str(self.final_exam_opens_on.data.isoformat())
        return str(self.final_exam_opens.data or "modules")

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
    replace_newer = BooleanField(_l("Yes, replace the newer published version with this draft"))
    submit = SubmitField(_l("Publish"))


# --- quizzes and the question bank ---------------------------------------------

REVIEW_CHOICES = [
    ("after_submit", _l("Right after submitting")),
    ("after_close", _l("After the quiz closes")),
    ("never", _l("Never")),
]
POOL_ROWS = 4


class PoolRow(Form):
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=60)])
    draw = IntegerField(_l("Questions to draw"), validators=[Optional(), NumberRange(min=1, max=500)])


def kind_choices() -> list[tuple[str, Any]]:
    """(name, label) of every registered question kind."""
    return [(kind.name, kind.label) for kind in kinds.all_kinds()]


class NewQuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of question"))
    submit = SubmitField(_l("Add question"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()


class QuestionForm(FlaskForm):
    """The fields every kind has; ``question_form(kind)`` adds the kind's own (``QuestionKind.form_fields``)."""

    key = StringField(
        _l("Question id (unique in the course; leave empty to generate)"),
        validators=[
            Optional(),
            Length(max=100),
            Regexp(r"^[a-z0-9-]+$", message=_l("Use only a-z, 0-9 and hyphens.")),
        ],
    )
    tags = StringField(_l("Tags (comma separated, used by pools)"), validators=[Optional(), Length(max=500)])
    points = DecimalField(
        _l("Points"), places=2, default=1, validators=[InputRequired(), NumberRange(min=0.01, max=100)]
    )
    prompt = TextAreaField(_l("Question (Markdown)"), validators=[DataRequired(), Length(max=10_000)])
    explanation = TextAreaField(
        _l("Explanation shown after answering (Markdown)"), validators=[DataRequired(), Length(max=10_000)]
    )
    lock_version = HiddenField()
    submit = SubmitField(_l("Save question"))

    kind: kinds.QuestionKind

    def to_data(self) -> dict[str, Any]:
        """The question in the quiz-file format (empty rows dropped)."""
        points = float(self.points.data or 1)
        return {
            "id": (self.key.data or "").strip(),
            "kind": self.kind.name,
            "tags": [t.strip() for t in (self.tags.data or "").split(",") if t.strip()],
            "points": int(points) if points.is_integer() else points,
            "prompt": (self.prompt.data or "").strip(),
            "explanation": (self.explanation.data or "").strip(),
            **self.kind.from_form(self),
        }

    def fill(self, data: dict[str, Any]) -> None:
        """Show a stored question in the form."""
        self.key.data = data.get("id", "")
        self.tags.data = ", ".join(data.get("tags", []))
        self.points.data = data.get("points", 1)
        self.prompt.data = data.get("prompt", "")
        self.explanation.data = data.get("explanation", "")
        self.kind.to_form(self, data)


def question_form(kind: kinds.QuestionKind, **kwargs: Any) -> QuestionForm:
    """The editor form of a question of ``kind``: the common fields and the kind's own."""
    form_class = type(f"{type(kind).__name__}Form", (QuestionForm,), {**kind.form_fields(), "kind": kind})
    return form_class(**kwargs)


class QuizSettingsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=255)])
    pass_mark = IntegerField(_l("Pass mark (%)"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    max_attempts = IntegerField(
        _l("Attempts allowed (0 = unlimited)"), validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    time_limit_minutes = IntegerField(
        _l("Time limit in minutes (0 = none)"), validators=[InputRequired(), NumberRange(min=0, max=1440)]
    )
    questions_per_page = IntegerField(
        _l("Questions per page (0 = all on one page)"),
        validators=[InputRequired(), NumberRange(min=0, max=500)],
    )
    review = SelectField(
        _l("Learners see answers and explanations"), choices=REVIEW_CHOICES, default="after_submit"
    )
    shuffle_questions = BooleanField(_l("Shuffle questions"))
    shuffle_options = BooleanField(_l("Shuffle options"))
    required = BooleanField(_l("Passing is required for completion"))
    pools = FieldList(FormField(PoolRow), min_entries=POOL_ROWS)
    lock_version = HiddenField()
    submit = SubmitField(_l("Save quiz settings"))

    SETTINGS = (
        "title",
        "pass_mark",
        "max_attempts",
        "time_limit_minutes",
        "questions_per_page",
        "review",
        "shuffle_questions",
        "shuffle_options",
        "required",
    )

    def to_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {name: getattr(self, name).data for name in self.SETTINGS}
        settings["title"] = settings["title"].strip()
        settings["pools"] = [
            {"tag": row.form.tag.data.strip(), "draw": int(row.form.draw.data or 1)}
            for row in self.pools
            if (row.form.tag.data or "").strip()
        ]
        return settings

    def fill(self, settings: dict[str, Any]) -> None:
        for name in self.SETTINGS:
            if name in settings:
                getattr(self, name).data = settings[name]
        pools = settings.get("pools", [])
        for row, pool in zip(self.pools, pools, strict=False):
            row.form.tag.data, row.form.draw.data = pool["tag"], pool["draw"]
        for pool in pools[len(self.pools) :]:
            self.pools.append_entry(pool)


class UploadZipForm(FlaskForm):
    archive = FileField(_l("Course ZIP file (one course folder in the courses/ format)"))
    submit = SubmitField(_l("Upload and import"))
