"""Admin forms for LTI registrations; each validates only, never writes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from lms.lti import services
from lms.lti.models import Platform
from lms.lti.services import PlatformData


def _url(form: Any, field: Any) -> None:
    parts = urlsplit((field.data or "").strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValidationError(_l("Enter a full web address starting with https://"))


class PlatformForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    issuer = StringField(_l("Issuer (iss)"), validators=[DataRequired(), Length(max=255), _url])
    client_id = StringField(_l("Client ID"), validators=[DataRequired(), Length(max=255)])
    deployment_ids = TextAreaField(_l("Deployment IDs (one per line)"), validators=[DataRequired()])
    jwks_url = StringField(
        _l("Platform public keyset URL (JWKS)"), validators=[DataRequired(), Length(max=500), _url]
    )
    auth_login_url = StringField(
        _l("Authentication request URL"), validators=[DataRequired(), Length(max=500), _url]
    )
    access_token_url = StringField(_l("Access token URL"), validators=[DataRequired(), Length(max=500), _url])
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, session: Session, *args: Any, platform: Platform | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session = session
        self._platform = platform
        if platform is not None and not self.is_submitted():
            self.deployment_ids.data = "\n".join(platform.deployment_ids)

    def validate_client_id(self, field: Any) -> None:
        issuer = (self.issuer.data or "").strip()
        other = self._platform.id if self._platform is not None else None
        if issuer and services.platform_exists(self._session, issuer, field.data.strip(), other_than=other):
            raise ValidationError(_l("This issuer already has a registration with this client ID."))

    def validate_deployment_ids(self, field: Any) -> None:
        ids = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
        if not ids:
            raise ValidationError(_l("Enter at least one deployment ID."))
        if any(len(d) > 255 for d in ids):
            raise ValidationError(_l("A deployment ID is at most 255 characters."))

    def to_data(self) -> PlatformData:
        return PlatformData(
            name=self.name.data,
            issuer=self.issuer.data,
            client_id=self.client_id.data,
            auth_login_url=self.auth_login_url.data,
            access_token_url=self.access_token_url.data,
            jwks_url=self.jwks_url.data,
            deployment_ids=[line for line in self.deployment_ids.data.splitlines() if line.strip()],
            is_active=bool(self.is_active.data),
        )


class LinkIdentityForm(FlaskForm):
    username = StringField(_l("Local account (username)"), validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("Link"))
