"""A real Learning Record Store for the tests: ralph (``ralph-malph``) on 127.0.0.1, once per session.

ralph lives in its own virtualenv (its pins are not ours), made by ``make ralph`` from
``tests/xapi/ralph/requirements.txt`` into ``~/.cache/lms/ralph-<hash of that file>`` (kept between
runs and clones; LMS_TEST_RALPH_PYTHON points elsewhere). It stores statements in a temporary
directory (its filesystem backend) and checks HTTP Basic credentials from its auth file.
Without the virtualenv the xAPI tests are skipped, except in CI (LMS_TEST_REQUIRE_RALPH=1), where
that is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess  # nosec B404 (starts the test LRS)
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

REQUIREMENTS = Path(__file__).parent / "ralph" / "requirements.txt"
SERVE = Path(__file__).parent / "ralph" / "serve.py"  # ralph's LRS, its filesystem backend appending
KEY, SECRET = "lms", "ralph-test-secret"


def ralph_python() -> Path:
    configured = os.environ.get("LMS_TEST_RALPH_PYTHON")
    if configured:
        return Path(configured)
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "lms" / f"ralph-{digest}" / "bin" / "python"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Ralph:
    url: str  # the xAPI base, e.g. http://127.0.0.1:PORT/xAPI
    log: Path

    def statements(self, **params: Any) -> list[dict[str, Any]]:
        """GET /xAPI/statements (following ``more``), with the xAPI query parameters given."""
        query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
        query.setdefault("limit", 500)
        url, found = self.url + "/statements", []
        while True:
            r = requests.get(
                url,
                params=query,
                auth=(KEY, SECRET),
                headers={"X-Experience-API-Version": "1.0.3"},
                timeout=10,
            )
            assert r.status_code == 200, r.text
            body = r.json()
            found.extend(body["statements"])
            if not body.get("more"):
                return found
            url, query = self.url.rsplit("/xAPI", 1)[0] + body["more"], {}


@pytest.fixture(scope="session", name="ralph")
def ralph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ralph]:
    python = ralph_python()
    if not python.exists():
        if os.environ.get("LMS_TEST_REQUIRE_RALPH"):
            pytest.fail(f"ralph's virtualenv is missing ({python}): run `make ralph`")
        pytest.skip(f"ralph's virtualenv is missing ({python}): run `make ralph`")
    home = tmp_path_factory.mktemp("ralph")
    hashed = subprocess.run(  # nosec B603 (our own interpreter and arguments)
        [str(python), "-c", "import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())",
         SECRET],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    auth = [
        {
            "agent": {"account": {"homePage": "http://127.0.0.1", "name": "lms-tests"}},
            "scopes": ["all"],
            "hash": hashed,
            "username": KEY,
        }
    ]
    (home / "auth.json").write_text(json.dumps(auth))
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RALPH_")},
        "RALPH_APP_DIR": str(home / "app"),
        "RALPH_AUTH_FILE": str(home / "auth.json"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(home / "data"),
    }
    log = home / "ralph.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # nosec B603
            [str(python), str(SERVE), "127.0.0.1", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=home,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if requests.get(base + "/__heartbeat__", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ralph did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Ralph(base + "/xAPI", log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
