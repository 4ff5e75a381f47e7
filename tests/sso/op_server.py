"""A real OpenID Provider for the tests: ``tests/sso/op/provider.mjs`` (node-oidc-provider) on 127.0.0.1.

Started once per test session (``oidc_op`` fixture, imported by ``tests/conftest.py`` so the browser
tests share it). ``make test`` / ``.ci/run`` install its pinned packages (``make oidc-op``: ``npm ci``
from ``package-lock.json``, skipped while ``node_modules`` is up to date). Without node or the packages
the tests are skipped, unless LMS_TEST_REQUIRE_OIDC=1 (CI), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess  # nosec B404 (starts the test provider from a fixed path)
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

OP_DIR = Path(__file__).resolve().parent / "op"
SECRET = "lms-test-secret-0123456789abcdef"
START_TIMEOUT = 20.0
# The provider's development login form posts to .../interaction/<uid>/login.
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
PROMPT = re.compile(r'name="prompt" value="(\w+)"')


@dataclass
class OpenIDProvider:
    issuer: str
    process: subprocess.Popen[str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def settings(self, client_id: str = "lms") -> dict[str, object]:
        """The app settings (LMS_OIDC_*) of a site registered at this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": SECRET,
        }

    def sign_in(self, authorization_url: str, login: str) -> str:
        """Play the person at the provider: open the authorization URL, sign in as ``login``.

        Returns the URL the provider sends the browser back to (the site's callback with code and
        state). A fresh provider session each time, so the login form is always shown.
        """
        http = requests.Session()
        response = http.get(authorization_url, allow_redirects=False, timeout=10)
        for _ in range(12):
            location = response.headers.get("Location")
            if response.is_redirect and location:
                url = urljoin(response.url, location)
                if "/sso/callback" in url:
                    return url
                response = http.get(url, allow_redirects=False, timeout=10)
                continue
            match, prompt = FORM_ACTION.search(response.text), PROMPT.search(response.text)
            if response.status_code != 200 or match is None or prompt is None:
                raise AssertionError(f"unexpected provider page: {response.text[:500]}")
            response = http.post(
                urljoin(response.url, match.group(1)),
                data={"prompt": prompt.group(1), "login": login, "password": "any"},
                allow_redirects=False,
                timeout=10,
            )
        raise AssertionError("the provider did not send the browser back to the site")


def start_provider(log: Path) -> OpenIDProvider:
    node = shutil.which("node")
    if node is None or not (OP_DIR / "node_modules" / "oidc-provider").is_dir():
        message = "node or the test provider's packages are missing: run `make oidc-op`"
        if os.environ.get("LMS_TEST_REQUIRE_OIDC"):
            pytest.fail(message)
        pytest.skip(message)
    with log.open("w") as errors:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(  # nosec B603 (fixed arguments)
            [node, "provider.mjs"], cwd=OP_DIR, stdout=subprocess.PIPE, stderr=errors, text=True
        )
    first_line: list[str] = []
    reader = threading.Thread(
        target=lambda: first_line.append(process.stdout.readline() if process.stdout else "")
    )
    reader.start()
    reader.join(START_TIMEOUT)
    if not first_line or not first_line[0].strip():
        process.kill()
        pytest.fail("the test OpenID Provider did not start")
    return OpenIDProvider(issuer=json.loads(first_line[0])["issuer"], process=process)


@pytest.fixture(scope="session")
def oidc_op(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIDProvider]:
    provider = start_provider(tmp_path_factory.mktemp("oidc-op") / "provider.log")
    yield provider
    provider.stop()
