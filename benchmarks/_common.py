"""Shared pieces of the benchmark scripts: gunicorn served as in production, wrk, server CPU, results.

Measurements here run on a shared two-core machine. Every figure that matters is a ratio taken
from runs interleaved back to back (page, then its baseline, then the page again…), reported as
the median of the pairs, so load from elsewhere slows both sides alike; absolute rates are printed
too, so a baseline that was itself capped (by the load generator or the machine) shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"  # git-ignored

# The README's production command (section "Production deployment", step 5): keep them equal.
# The access log goes where gunicorn's output goes here (nowhere), but each line is still written.
GUNICORN_ARGS = ["-w", "4", "--threads", "2", "--access-logfile", "-"]
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(tmp: Path, url: str | None = None) -> dict[str, str]:
    """Environment for the app's CLI and gunicorn on a throw-away database."""
    return {
        **os.environ,
        "LMS_DATABASE_URL": url or f"sqlite:///{tmp / 'bench.sqlite3'}",
        "LMS_INSTANCE_PATH": str(tmp / "instance"),
        "LMS_SECRET_KEY": "benchmark-only-secret",
        "LMS_ENV": "production",
        "LMS_SECURE_COOKIES": "0",
        "LMS_RATELIMIT_ENABLED": "0",
    }


def flask_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


@dataclass
class Server:
    port: int
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [pid, *(int(c) for c in children)]

    def cpu_seconds(self) -> float:
        """User + system CPU of the gunicorn master and its workers so far."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / TICKS


@contextmanager
def gunicorn(env: dict[str, str], extra: list[str] | None = None) -> Iterator[Server]:
    """gunicorn on 127.0.0.1 with the production flags; waits until /healthz answers."""
    import urllib.request

    port = free_port()
    exe = Path(sys.executable).with_name("gunicorn")
    OUT.mkdir(exist_ok=True)
    log = (OUT / "gunicorn.log").open("a")  # errors of the last runs, for when a run fails
    proc = subprocess.Popen(
        [str(exe), *GUNICORN_ARGS, *(extra or []), "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server = Server(port, proc)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{server.base}/healthz", timeout=5) as r:  # noqa: S310 (http://127.0.0.1)
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)  # not listening yet
        else:
            raise SystemExit("gunicorn did not answer /healthz")
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:  # a worker stuck on a busy machine: do not leave it running
            proc.kill()
            proc.wait(10)
        log.close()


def require_wrk() -> str:
    exe = shutil.which("wrk")
    if not exe:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk); it is the load generator")
    return exe


@dataclass
class Run:
    rps: float
    requests: int
    cpu_per_request: float  # server CPU seconds per request
    p50_ms: float
    p99_ms: float


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:  # e.g. "-nan" when nothing completed
        return float("nan")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(
    server: Server,
    path: str,
    *,
    seconds: float,
    connections: int = 16,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    script_env: dict[str, str] | None = None,
) -> Run:
    """One wrk run against path; fails on any non-2xx/3xx answer or socket error."""
    cmd = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(server.base + path)
    cpu0 = server.cpu_seconds()
    done = subprocess.run(
        cmd, capture_output=True, text=True, check=True, env={**os.environ, **(script_env or {})}
    )
    out = done.stdout
    cpu = server.cpu_seconds() - cpu0
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        (OUT / "wrk-errors.txt").write_text(done.stderr)
        raise SystemExit(
            f"wrk {path}: errors (all in benchmarks/out/wrk-errors.txt)\n{out}\n{done.stderr[:2000]}"
        )
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(m.group(1)) if (m := re.search(r"50%\s+(\S+)", out)) else float("nan")
    p99 = _ms(m.group(1)) if (m := re.search(r"99%\s+(\S+)", out)) else float("nan")
    return Run(rps, requests, cpu / max(requests, 1), p50, p99)


@dataclass
class Pair:
    """A page against its baseline, from runs interleaved back to back."""

    name: str
    page: list[Run]
    base: list[Run]

    @property
    def ratio(self) -> float:
        """Median of (page req/s ÷ baseline req/s) over the pairs."""
        return statistics.median(p.rps / b.rps for p, b in zip(self.page, self.base, strict=True))

    @property
    def cpu_ratio(self) -> float:
        """Median of (baseline CPU/request ÷ page CPU/request): the share the server's CPU allows."""
        return statistics.median(
            b.cpu_per_request / p.cpu_per_request for p, b in zip(self.page, self.base, strict=True)
        )

    def median(self, attr: str, side: str = "page") -> float:
        return statistics.median(getattr(r, attr) for r in getattr(self, side))


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def emit(result: dict) -> None:
    """Hand the figures to benchmarks/run_all.py (LMS_BENCH_JSON names the file), or do nothing.

    result = {"ratios": {name: float}, "counts": {name: int}, "figures": {name: float}}
    ratios are compared against the baseline (±10 %), counts must not rise, figures are shown only.
    """
    path = os.environ.get("LMS_BENCH_JSON")
    if path:
        Path(path).write_text(json.dumps(result, indent=1, sort_keys=True))
