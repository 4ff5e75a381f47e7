"""Authoring forms: course settings, modules, lessons, authors, publish."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
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
    replace_newer = BooleanField(_l("Yes, replace the newer published version with this draft"))
    submit = SubmitField(_l("Publish"))


# --- quizzes and the question bank ---------------------------------------------

KIND_CHOICES = [
    ("single", _l("Single choice")),
    ("multiple", _l("Multiple choice")),
    ("true_false", _l("True / false")),
    ("short_text", _l("Short text answer")),
    ("matching", _l("Matching pairs")),
    ("ordering", _l("Ordering")),
]
REVIEW_CHOICES = [
    ("after_submit", _l("Right after submitting")),
    ("after_close", _l("After the quiz closes")),
    ("never", _l("Never")),
]
OPTION_ROWS = 6
PAIR_ROWS = 6
POOL_ROWS = 4


class OptionRow(Form):
    text = StringField(_l("Option text"), validators=[Optional(), Length(max=2000)])
    correct = BooleanField(_l("Correct"))
    feedback = StringField(_l("Feedback when chosen"), validators=[Optional(), Length(max=2000)])


class PairRow(Form):
    left = StringField(_l("Left"), validators=[Optional(), Length(max=500)])
    right = StringField(_l("Right"), validators=[Optional(), Length(max=500)])


class PoolRow(Form):
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=60)])
    draw = IntegerField(_l("Questions to draw"), validators=[Optional(), NumberRange(min=1, max=500)])


class NewQuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of question"), choices=KIND_CHOICES)
    submit = SubmitField(_l("Add question"))


class QuestionForm(FlaskForm):
    """One form for every kind; the template shows the fields of the question's kind."""

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
    options = FieldList(FormField(OptionRow), min_entries=OPTION_ROWS)
    scoring = SelectField(
        _l("Scoring"),
        choices=[("partial", _l("Partial credit")), ("all_or_nothing", _l("All or nothing"))],
        default="partial",
    )
    answer = SelectField(
        _l("Correct answer"), choices=[("true", _l("True")), ("false", _l("False"))], default="true"
    )
    feedback_true = StringField(_l("Feedback for “true”"), validators=[Optional(), Length(max=2000)])
    feedback_false = StringField(_l("Feedback for “false”"), validators=[Optional(), Length(max=2000)])
    answers = TextAreaField(_l("Accepted answers (one per line)"), validators=[Optional(), Length(max=5000)])
    ignore_diacritics = BooleanField(_l("Accept answers without Vietnamese accents"), default=True)
    case_sensitive = BooleanField(_l("Upper and lower case must match"))
    pairs = FieldList(FormField(PairRow), min_entries=PAIR_ROWS)
    items = TextAreaField(
        _l("Items in the correct order (one per line)"), validators=[Optional(), Length(max=5000)]
    )
    lock_version = HiddenField()
    submit = SubmitField(_l("Save question"))

    def to_data(self, kind: str) -> dict[str, Any]:
        """The question in the quiz-file format (empty rows dropped)."""
        points = float(self.points.data or 1)
        data: dict[str, Any] = {
            "id": (self.key.data or "").strip(),
            "kind": kind,
            "tags": [t.strip() for t in (self.tags.data or "").split(",") if t.strip()],
            "points": int(points) if points.is_integer() else points,
            "prompt": (self.prompt.data or "").strip(),
            "explanation": (self.explanation.data or "").strip(),
        }
        if kind in ("single", "multiple"):
            options = []
            for row in self.options:
                text = (row.form.text.data or "").strip()
                if not text:
                    continue
                option: dict[str, Any] = {"text": text}
                if row.form.correct.data:
                    option["correct"] = True
                if (row.form.feedback.data or "").strip():
                    option["feedback"] = row.form.feedback.data.strip()
                options.append(option)
            data["options"] = options
            if kind == "multiple":
                data["scoring"] = self.scoring.data
        elif kind == "true_false":
            data["answer"] = self.answer.data == "true"
            for name in ("feedback_true", "feedback_false"):
                value = (getattr(self, name).data or "").strip()
                if value:
                    data[name] = value
        elif kind == "short_text":
            data["answers"] = [a.strip() for a in (self.answers.data or "").splitlines() if a.strip()]
            data["ignore_diacritics"] = bool(self.ignore_diacritics.data)
            data["case_sensitive"] = bool(self.case_sensitive.data)
        elif kind == "matching":
            data["pairs"] = [
                {"left": (row.form.left.data or "").strip(), "right": (row.form.right.data or "").strip()}
                for row in self.pairs
                if (row.form.left.data or "").strip() or (row.form.right.data or "").strip()
            ]
        elif kind == "ordering":
            data["items"] = [i.strip() for i in (self.items.data or "").splitlines() if i.strip()]
        return data

    def fill(self, data: dict[str, Any]) -> None:
        """Show a stored question in the form."""
        self.key.data = data.get("id", "")
        self.tags.data = ", ".join(data.get("tags", []))
        self.points.data = data.get("points", 1)
        self.prompt.data = data.get("prompt", "")
        self.explanation.data = data.get("explanation", "")
        for row, option in zip(self.options, data.get("options", []), strict=False):
            row.form.text.data = option.get("text", "")
            row.form.correct.data = bool(option.get("correct"))
            row.form.feedback.data = option.get("feedback", "")
        extra = len(data.get("options", [])) - len(self.options)
        for option in data.get("options", [])[len(self.options) :] if extra > 0 else []:
            self.options.append_entry({"text": option.get("text", ""), "correct": bool(option.get("correct")),
                                       "feedback": option.get("feedback", "")})  # fmt: skip
        self.scoring.data = data.get("scoring", "partial")
        self.answer.data = "true" if data.get("answer", True) else "false"
        self.feedback_true.data = data.get("feedback_true", "")
        self.feedback_false.data = data.get("feedback_false", "")
        self.answers.data = "\n".join(data.get("answers", []))
        self.ignore_diacritics.data = data.get("ignore_diacritics", True)
        self.case_sensitive.data = data.get("case_sensitive", False)
        pairs = data.get("pairs", [])
        for row, pair in zip(self.pairs, pairs, strict=False):
            row.form.left.data, row.form.right.data = pair.get("left", ""), pair.get("right", "")
        for pair in pairs[len(self.pairs) :]:
            self.pairs.append_entry(pair)
        self.items.data = "\n".join(data.get("items", []))


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
