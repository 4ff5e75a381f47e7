"""Issue 17, Open Badges 3.0: each certificate is also a signed OpenBadgeCredential (VC-JWT).

Checked from the outside, as a verifier would: the credential validates against the official
OB 3.0 JSON Schema (bundled in tests/certificates/ob3/), its signature verifies with jwcrypto
(we sign with joserfc) using the keys fetched from the published URLs, revocation flips the bit
in the published Bitstring Status List credential, and /verify judges uploaded files.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from jwcrypto import jwk as jw_jwk
from jwcrypto import jws as jw_jws
from jwcrypto import jwt as jw_jwt
from sqlalchemy import select

from lms.auth.models import Role
from lms.certificates.models import Certificate, CertificateBadge
from lms.jobs import run_queued
from tests.conftest import login

SCHEMA = json.loads((Path(__file__).parent / "ob3" / "ob_v3p0_achievementcredential_schema.json").read_text())


def _path(url: str) -> str:
    """A published absolute URL (LMS_PUBLIC_URL = http://lms.test) as a path for the test client."""
    assert url.startswith("http://lms.test/"), url
    return urlsplit(url).path


def _published_jwks(client: Any) -> jw_jwk.JWKSet:
    resp = client.get("/badges/keys.json")
    assert resp.status_code == 200
    return jw_jwk.JWKSet.from_json(resp.get_data(as_text=True))


def _verified_claims(client: Any, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify token with jwcrypto against the key its kid dereferences to; (header, claims)."""
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    resp = client.get(_path(header["kid"]))  # OB 3.0: the kid is a URL that dereferences to the JWK
    assert resp.status_code == 200
    key = jw_jwk.JWK.from_json(resp.get_data(as_text=True))
    assert "d" not in json.loads(resp.get_data(as_text=True))  # never the private part
    assert _published_jwks(client).get_key(header["kid"]) is not None
    verified = jw_jwt.JWT(jwt=token, key=key, algs=["RS256"], check_claims=False)
    return header, json.loads(verified.claims)


def _status_bit(client: Any, entry: dict[str, Any]) -> int:
    """Read a credential's revocation bit from the published status list credential."""
    resp = client.get(_path(entry["statusListCredential"]))
    assert resp.status_code == 200
    _header, status_vc = _verified_claims(client, resp.get_data(as_text=True).strip())
    assert "BitstringStatusListCredential" in status_vc["type"]
    subject = status_vc["credentialSubject"]
    assert subject["statusPurpose"] == entry["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 >= 131_072
    index = int(entry["statusListIndex"])
    return (bits[index // 8] >> (7 - index % 8)) & 1


@pytest.fixture
def badge(client: Any, session: Any, make_user: Any, make_unit: Any, issued: Any, signing: Path) -> Any:
    """A learner's certificate, its PDF and credential made by the jobs; (learner, cert, token)."""
    learner = make_user(unit=make_unit(), full_name="Nguyễn Thị Bình", email="binh@quangninh.gov.vn")
    cert = issued(learner)
    run_queued(session)
    session.refresh(cert)
    assert cert.is_rendered
    login(client, learner)
    resp = client.get(f"/certificates/{cert.id}/badge")
    assert resp.status_code == 200, resp.headers.get("Location")
    assert resp.mimetype == "text/plain"
    assert f'filename="chung-chi-{cert.display_code}-openbadge.jwt"' in resp.headers["Content-Disposition"]
    client.get("/logout")
    return learner, cert, resp.get_data(as_text=True)


def test_credential_conforms_to_ob3_schema_and_verifies_with_another_library(
    client: Any, session: Any, badge: Any
) -> None:
    learner, cert, token = badge
    header, vc = _verified_claims(client, token)
    assert header == {"alg": "RS256", "kid": header["kid"], "typ": "JWT"}  # OB 3.0: no other JOSE headers

    jsonschema.Draft201909Validator(SCHEMA).validate(vc)
    assert vc["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    achievement = vc["credentialSubject"]["achievement"]
    assert achievement["name"] == cert.course_title
    assert achievement["criteria"]["narrative"]
    assert achievement["description"]
    # JWT claims mirror the credential (OB 3.0 §8.2.4).
    assert vc["iss"] == vc["issuer"]["id"]
    assert vc["jti"] == vc["id"]
    assert vc["id"].endswith(f"/verify/{cert.display_code}")
    assert vc["sub"] == vc["credentialSubject"]["id"]
    assert vc["sub"].startswith("urn:uuid:")
    assert vc["validFrom"] == cert.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert vc["nbf"] == int(cert.issued_at.replace(microsecond=0).timestamp())
    assert "validUntil" not in vc
    assert "exp" not in vc
    # The person: a salted e-mail hash (no address in clear) and the printed name.
    identities = {i["identityType"]: i for i in vc["credentialSubject"]["identifier"]}
    assert identities["emailAddress"]["hashed"] is True
    assert "binh@" not in token
    assert "binh@" not in json.dumps(vc)
    assert identities["name"]["identityHash"] == "Nguyễn Thị Bình"
    # The issuer Profile is published where its id points.
    profile = client.get(_path(vc["issuer"]["id"]))
    assert profile.status_code == 200
    assert profile.get_json()["id"] == vc["issuer"]["id"]
    assert profile.get_json()["type"] == ["Profile"]
    # Stored once: a second download is byte-for-byte the same credential.
    login(client, learner)
    assert client.get(f"/certificates/{cert.id}/badge").get_data(as_text=True) == token


def test_valid_until_matches_an_expiring_certificate(
    client: Any, session: Any, make_user: Any, make_unit: Any, issued: Any, make_course: Any, signing: Path
) -> None:
    learner = make_user(unit=make_unit())
    cert = issued(learner, make_course(validity_months=24))
    run_queued(session)
    token = session.scalar(select(CertificateBadge.jwt).where(CertificateBadge.certificate_id == cert.id))
    _header, vc = _verified_claims(client, token)
    jsonschema.Draft201909Validator(SCHEMA).validate(vc)
    assert cert.expires_at is not None
    assert vc["validUntil"] == cert.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert vc["exp"] == int(cert.expires_at.replace(microsecond=0).timestamp())


def test_revoking_and_reissuing_flip_the_published_status_bit(
    client: Any, session: Any, badge: Any, make_user: Any
) -> None:
    _learner, cert, token = badge
    _h, vc = _verified_claims(client, token)
    entry = vc["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert _status_bit(client, entry) == 0

    admin = make_user(Role.ADMIN)
    login(client, admin)
    resp = client.post(
        f"/certificates/{cert.id}/reissue",
        data={"reissue-reason": "Sửa họ tên", "reissue-holder_name": "Nguyễn Thị Bình An"},
    )
    assert resp.status_code in (302, 303)
    run_queued(session)
    session.refresh(cert)
    assert cert.status == "superseded"
    assert _status_bit(client, entry) == 1  # the replaced credential is withdrawn

    new = session.get(Certificate, cert.superseded_by_id)
    new_token = session.scalar(select(CertificateBadge.jwt).where(CertificateBadge.certificate_id == new.id))
    _h, new_vc = _verified_claims(client, new_token)
    assert new_vc["credentialStatus"]["statusListIndex"] != entry["statusListIndex"]
    assert _status_bit(client, new_vc["credentialStatus"]) == 0

    resp = client.post(f"/certificates/{new.id}/revoke", data={"revoke-reason": "Gian lận khi thi"})
    assert resp.status_code in (302, 303)
    assert _status_bit(client, new_vc["credentialStatus"]) == 1


def _upload(client: Any, data: bytes, name: str) -> tuple[str, str]:
    html = client.post("/verify/upload", data={"pdf": (io.BytesIO(data), name)}).get_data(as_text=True)
    main = html[html.index("<main") :]
    first = re.search(r'<p class="[^"]*\bverdict\b[^"]*"[^>]*>.*?</p>', main, re.S)
    assert first is not None, main
    return first.group(0), main


def _resign(token: str, change: Any, key: Any, kid: str | None = None) -> str:
    header, _payload, _sig = token.split(".")
    head = json.loads(base64.urlsafe_b64decode(header + "=="))
    if kid is not None:
        head["kid"] = kid
    claims = json.loads(base64.urlsafe_b64decode(_payload + "=="))
    change(claims)
    signed = jw_jws.JWS(json.dumps(claims).encode())
    signed.add_signature(key, alg="RS256", protected=json.dumps(head))
    return str(signed.serialize(compact=True))


def test_verify_page_judges_uploaded_credentials(
    client: Any, session: Any, badge: Any, make_user: Any
) -> None:
    _learner, cert, token = badge

    box, page = _upload(client, token.encode(), "chung-chi.jwt")
    assert 'data-outcome="genuine"' in box
    assert "flash-success" in box
    assert 'data-kind="badge"' in page
    assert cert.display_code in page
    box, _ = _upload(client, json.dumps(token).encode(), "chung-chi.json")  # the JWS as a JSON string
    assert 'data-outcome="genuine"' in box

    # Tampered: the name changed, the signature kept.
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["credentialSubject"]["identifier"][-1]["identityHash"] = "Trần Văn Giả"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    box, page = _upload(client, f"{head}.{forged}.{sig}".encode(), "chung-chi.jwt")
    assert 'data-outcome="modified"' in box
    assert "flash-error" in box
    assert "flash-success" not in page

    # Signed by someone else's key under our kid: tampered too.
    other = jw_jwk.JWK.generate(kty="RSA", size=2048)
    box, _ = _upload(client, _resign(token, lambda c: None, other).encode(), "x.jwt")
    assert 'data-outcome="modified"' in box
    # An unsigned JSON credential naming our issuer proves nothing.
    box, _ = _upload(client, json.dumps(claims).encode(), "x.json")
    assert 'data-outcome="modified"' in box

    # Another issuer's credential: unknown issuer.
    def foreign(c: dict[str, Any]) -> None:
        c["issuer"]["id"] = c["iss"] = "https://example.org/issuer"
        c["id"] = c["jti"] = "urn:uuid:00000000-0000-4000-8000-000000000000"

    box, _ = _upload(
        client, _resign(token, foreign, other, kid="https://example.org/keys/1").encode(), "x.jwt"
    )
    assert 'data-outcome="unknown"' in box
    assert "Không rõ đơn vị cấp" in box  # Vietnamese first

    # Revoked: the status leads, the signature is still reported as intact.
    admin = make_user(Role.ADMIN)
    login(client, admin)
    client.post(f"/certificates/{cert.id}/revoke", data={"revoke-reason": "Gian lận khi thi"})
    client.get("/logout")
    box, page = _upload(client, token.encode(), "chung-chi.jwt")
    assert 'data-status="revoked"' in box
    assert "Gian lận khi thi" in box
    assert "flash-success" not in page


def test_public_download_from_the_verify_page(client: Any, session: Any, badge: Any, make_user: Any) -> None:
    _learner, cert, token = badge
    page = client.get(f"/verify/{cert.display_code}").get_data(as_text=True)
    link = f"/badges/credentials/{cert.display_code}"
    assert link in page
    resp = client.get(link)
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == token

    admin = make_user(Role.ADMIN)
    login(client, admin)
    client.post(f"/certificates/{cert.id}/revoke", data={"revoke-reason": "Sai thông tin"})
    client.get("/logout")
    assert link not in client.get(f"/verify/{cert.display_code}").get_data(as_text=True)
    assert client.get(link).status_code == 404


def test_without_a_key_nothing_is_signed_and_pages_still_answer(
    client: Any, session: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    learner = make_user(unit=make_unit())
    cert = issued(learner)
    run_queued(session)
    assert session.scalar(select(CertificateBadge).where(CertificateBadge.certificate_id == cert.id)) is None
    assert client.get("/badges/keys.json").get_json() == {"keys": []}
    assert client.get("/badges/status/1").status_code == 404
    login(client, learner)
    resp = client.get(f"/certificates/{cert.id}/badge")
    assert resp.status_code in (302, 303)  # "preparing…", queued for when a key is configured


def test_the_status_list_grows_past_its_minimum_size(
    client: Any, session: Any, badge: Any, make_user: Any
) -> None:
    """An index beyond the first 131,072 bits still has its own bit (the list grows by whole blocks)."""
    from lms.certificates import services
    from lms.db import utcnow

    learner, cert, _token = badge
    far = Certificate(
        id=131_080,
        code="FARAWAY00000000001",
        user_id=learner.id,
        course_id=cert.course_id,
        holder_name=learner.full_name,
        course_title=cert.course_title,
        completed_at=utcnow(),
        issued_at=utcnow(),
    )
    session.add(far)
    session.flush()
    services.revoke_certificate(session, far, by=make_user(Role.ADMIN), reason="Thử")
    entry = {
        "statusPurpose": "revocation",
        "statusListIndex": "131080",
        "statusListCredential": "http://lms.test/badges/status/1",
    }
    assert _status_bit(client, entry) == 1
    assert _status_bit(client, {**entry, "statusListIndex": str(cert.id)}) == 0
