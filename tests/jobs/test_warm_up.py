"""A consumer warms up before its first job: the certificate renderer's fonts, stylesheet and key are loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lms.certificates import pdf, signing
from lms.jobs import core


def test_warm_up_loads_what_every_render_reuses(
    app: Any, job_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SIGNING_P12", str(job_keys / "signing.p12"))
    monkeypatch.setitem(app.config, "SIGNING_P12_PASSPHRASE", (job_keys / "passphrase").read_text())
    pdf._cert_stylesheet.cache_clear()
    signing._load_signer.cache_clear()
    assert "lms.certificates.pdf.warm_up" in core.WARMUPS
    with app.app_context():
        core.warm_up()
    assert pdf._cert_stylesheet.cache_info().currsize == 1  # pdf.css parsed, fonts registered
    assert signing._load_signer.cache_info().currsize == 1  # the PKCS#12 key loaded


def test_a_failing_warm_up_is_logged_not_raised(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("no fonts here")

    core.register_warmup(broken)
    try:
        with app.app_context():
            core.warm_up()
    finally:
        core.WARMUPS.discard(f"{broken.__module__}.{broken.__qualname__}")
    assert "no fonts here" in caplog.text
