from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask

from tests.jobs.conftest import committed_app, job_keys  # noqa: F401 (fixtures: a committing app, its keys)
from tests.xapi.lrs import KEY, SECRET, Ralph, ralph_server  # noqa: F401 (session fixture `ralph`: the test LRS)


@pytest.fixture
def xapi(app: Flask, ralph: Ralph, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """xAPI on, sending to the test ralph. Each test has its own activity base, so its statement ids
    and actors are its own even where database ids repeat between rolled-back tests."""
    base = f"http://lms.test/t-{uuid.uuid4().hex[:12]}"
    settings = {
        "XAPI_ENDPOINT": ralph.url,
        "XAPI_KEY": KEY,
        "XAPI_SECRET": SECRET,
        "XAPI_ACTOR": "account",
        "XAPI_ACTIVITY_BASE": base,
        "XAPI_ACCOUNT_HOMEPAGE": base,
        "XAPI_BATCH_SIZE": 4,
        "XAPI_SEND_DELAY_SECONDS": 0,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return settings
