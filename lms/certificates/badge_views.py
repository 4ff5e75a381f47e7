"""Open Badges 3.0 pages: the issuer profile, keys, status list and credential downloads.

Stable public URLs a verifier dereferences (decision 1731): ``/badges/issuer`` (Profile),
``/badges/keys.json`` (JWKS), ``/badges/keys/<thumbprint>`` (one JWK: the ``kid`` of every
credential), ``/badges/status/1`` (BitstringStatusListCredential, VC-JWT). Downloads:
``/certificates/<id>/badge`` (holder, HR in scope, admin) and ``/badges/credentials/<code>``
(anyone with the code, like the verify page).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.access import Access, access
from lms.certificates import openbadges
from lms.certificates.jobs import enqueue_badge
from lms.certificates.models import Certificate, CertificateBadge, CertificateStatus
from lms.certificates.views import VERIFY_REASON, _lookup, _verify_limit, certificate_file, downloadable
from lms.db import db, write_on_get
from lms.extensions import limiter

bp = Blueprint("badges", __name__)

PUBLISHED = "verifiers of Open Badges dereference the issuer, its public keys and the status list"
JWT_MIMETYPE = "text/plain"  # OB 3.0 §5.3 "Web Resource": a VC-JWT is served as text/plain
CACHE = "public, max-age=300"


def badge_ready_ids(certs: Iterable[Any]) -> set[int]:
    """Ids of these certificates whose credential is signed (one query; for the certificate lists)."""
    ids = [c.id for c in certs if isinstance(getattr(c, "id", None), int)]
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(CertificateBadge.certificate_id).where(CertificateBadge.certificate_id.in_(ids))
        )
    )


def _json(payload: Any, mimetype: str = "application/json") -> Response:
    response = jsonify(payload)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = CACHE
    response.headers["Access-Control-Allow-Origin"] = "*"  # read by verifiers' web apps
    return response


@bp.route("/badges/issuer")
@access(Access.PUBLIC, reason=PUBLISHED)
def issuer() -> Response:
    return _json(openbadges.issuer_profile(), "application/ld+json")


@bp.route("/badges/keys.json")
@access(Access.PUBLIC, reason=PUBLISHED)
def keys() -> Response:
    return _json(openbadges.jwks(), "application/jwk-set+json")


@bp.route("/badges/keys/<thumbprint>")
@access(Access.PUBLIC, reason=PUBLISHED)
def key(thumbprint: str) -> Response:
    for published in openbadges.published_keys():
        if published.thumbprint == thumbprint:
            return _json(published.public_jwk(), "application/jwk+json")
    abort(404)


@bp.route("/badges/status/<list_id>")
@access(Access.PUBLIC, reason=PUBLISHED)
def status_list(list_id: str) -> Response:
    if list_id != openbadges.STATUS_LIST_ID or not openbadges.badges_available():
        abort(404)
    response = Response(openbadges.status_list_jwt(db.session), mimetype=JWT_MIMETYPE)
    response.headers["Cache-Control"] = "public, max-age=60"  # a revocation shows within a minute
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _file(cert: Certificate, token: str) -> Response:
    return certificate_file(cert, token, mimetype=JWT_MIMETYPE, suffix="-openbadge.jwt")


@bp.route("/certificates/<int:cert_id>/badge")
@access(Access.OWNER)
def download(cert_id: int) -> Any:
    """The signed credential (.jwt) next to the PDF: for its holder, HR within scope, or admin."""
    cert = downloadable(cert_id)
    if not isinstance(cert, Certificate):
        return cert
    badge = openbadges.badge_of(db.session, cert)
    if badge is None:
        # Signed by a background job, never in a request: make sure it is queued.
        with write_on_get(db.session):
            enqueue_badge(db.session, cert)
        flash(_("Preparing the Open Badge… It will be ready in a few seconds."), "info")
        return redirect(url_for("certificates.mine"))
    return _file(cert, badge.jwt)


def _credential(code: str) -> Any:
    """The credential of a certificate whose code one knows (shown on the public verify page)."""
    cert = _lookup(code, "badge")
    badge = openbadges.badge_of(db.session, cert) if cert is not None else None
    if (
        cert is None
        or badge is None
        or cert.status in (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED)
    ):
        abort(404)
    return _file(cert, badge.jwt)


bp.add_url_rule(
    "/badges/credentials/<path:code>",
    "credential",
    access(Access.PUBLIC, reason=VERIFY_REASON)(limiter.limit(_verify_limit)(_credential)),
)
