"""Issue 14, item 6: RFC 3161 signature timestamps (PAdES B-T) and validation data (B-LT)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from lms.certificates import services
from lms.certificates.signing import check_signature
from lms.jobs import run_queued
from tests.certificates.tsa import LocalTSA


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTSA]:
    server = LocalTSA(tmp_path_factory.mktemp("tsa"))
    yield server
    server.close()


def _pem(path: Path) -> Any:
    from asn1crypto import pem, x509

    _, _, der = pem.unarmor(path.read_bytes())
    return x509.Certificate.load(der)


def test_signature_has_a_trusted_timestamp_and_stays_valid_after_the_key_expires(
    app: Any, session: Any, make_user: Any, make_unit: Any, issued: Any, signing: Path, tsa: LocalTSA,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    monkeypatch.setitem(app.config, "SIGNING_TSA_URL", tsa.url)
    monkeypatch.setitem(app.config, "SIGNING_TRUST_ROOTS", f"{signing / 'ca.pem'}:{tsa.root_pem}")
    before = tsa.requests
    cert = issued(make_user(unit=make_unit()))
    run_queued(session)  # the job that renders and signs
    session.refresh(cert)
    assert cert.is_rendered
    assert tsa.requests > before  # the local TSA was really asked
    data = services.pdf_bytes(session, cert)

    # pyHanko itself: intact, trusted, with a valid timestamp from the trusted TSA.
    reader = PdfFileReader(BytesIO(data))
    sig = reader.embedded_signatures[-1]
    vc = ValidationContext(trust_roots=[_pem(signing / "ca.pem"), _pem(tsa.root_pem)], allow_fetching=False)
    # pyHanko's sync wrapper calls asyncio.run(), which fails where Playwright's loop runs (browser
    # tests earlier in the same session): run the async API on a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        status = pool.submit(lambda: asyncio.run(async_validate_pdf_signature(sig, vc))).result()
    assert status.bottom_line
    stamp = status.timestamp_validity
    assert stamp is not None
    assert stamp.valid
    assert stamp.intact
    assert stamp.trusted
    assert abs(stamp.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)
    # B-LT: the document security store holds the certificates needed to validate later.
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) >= 2

    # Five years on, the 3-year signing certificate has expired: still genuine thanks to the timestamp.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=5 * 365)
    now_check, later_check = check_signature(data), check_signature(data, at=later)
    assert now_check.genuine
    assert now_check.timestamp is not None
    assert later_check.genuine

    # Without a TSA the same check five years on fails: nothing proves when it was signed.
    monkeypatch.setitem(app.config, "SIGNING_TSA_URL", "")
    plain_cert = issued(make_user(unit=make_unit()))
    run_queued(session)
    plain = services.pdf_bytes(session, plain_cert)
    assert check_signature(plain).genuine
    assert not check_signature(plain, at=later).genuine
