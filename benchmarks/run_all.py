"""Run every benchmark, then compare with the committed baseline (benchmarks/baseline.json).

    python benchmarks/run_all.py                  # run all, print the change against the baseline
    python benchmarks/run_all.py --save-baseline  # run all and write benchmarks/baseline.json
    python benchmarks/run_all.py pages reports    # only these scripts (compared on what they report)

Each script is standalone (`python benchmarks/<name>.py`), builds its own data in a temporary
database, talks only to 127.0.0.1 and hands its figures over as JSON (`_common.emit`):
ratios (compared: a change beyond ±10 % is flagged), counts (SQL statements and the like: must not
rise) and figures (shown, not compared). The run's results are also written to
benchmarks/out/latest.json (git-ignored). Exit status 1 when a script fails, a count rises or a
ratio falls by more than 10 %.

The machine the baseline was made on was shared (2 cores, other work running): ratios are medians
of interleaved pairs, but expect noise of that order; re-run before believing a flagged ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "baseline.json"
OUT = HERE / "out"
TOLERANCE = 0.10
TIMEOUT = 20 * 60  # one script; a stuck one is reported as failed instead of hanging `make bench`
# Arguments that keep the whole run to a few minutes on two cores.
ARGS = {
    "certificates": ["--renders", "200", "--batch", "20", "--repeat", "10"],
    "jobs": ["requests", "batch", "xlsx", "--certs", "20", "--people", "5000"],
    "reports": ["--quick"],
}


def scripts(names: list[str]) -> list[Path]:
    found = [
        p for p in sorted(HERE.glob("*.py")) if p.name != "run_all.py" and not p.name.startswith(("_", "__"))
    ]
    if names:
        found = [p for p in found if p.stem in names]
    return found


def run(script: Path) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    env = {**os.environ, "LMS_BENCH_JSON": str(out)}
    cmd = [sys.executable, str(script), *ARGS.get(script.stem, [])]
    try:
        result = subprocess.run(cmd, cwd=HERE.parent, env=env, check=False, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"{script.name}: no result after {TIMEOUT // 60} minutes, stopped")
        out.unlink(missing_ok=True)
        return None
    try:
        if result.returncode != 0:
            return None
        text = out.read_text()
        return json.loads(text) if text else {}
    finally:
        out.unlink(missing_ok=True)


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def compare(base: dict, now: dict) -> list[str]:
    """Lines describing the change; lines starting with '!' are failures."""
    lines = []
    for script, result in now.items():
        old = base.get(script, {})
        for name, value in result.get("counts", {}).items():
            before = old.get("counts", {}).get(name)
            if before is None:
                lines.append(f"  {script}: {name} = {value} (new)")
            elif value > before:
                lines.append(f"! {script}: {name} rose {before} → {value}")
            elif value < before:
                lines.append(f"  {script}: {name} fell {before} → {value}")
        for name, value in result.get("ratios", {}).items():
            before = old.get("ratios", {}).get(name)
            if before is None:
                lines.append(f"  {script}: {name} = {value:.3g} (new)")
                continue
            change = value / before - 1 if before else 0.0
            mark = "!" if change < -TOLERANCE else ("+" if change > TOLERANCE else " ")
            lines.append(f"{mark} {script}: {name} {before:.3g} → {value:.3g} ({change:+.0%})")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="script names without .py (default: all)")
    parser.add_argument("--save-baseline", action="store_true", help="write benchmarks/baseline.json")
    args = parser.parse_args()
    results: dict[str, dict] = {}
    failed = []
    for script in scripts(args.names):
        print(f"== {script.name} ==", flush=True)
        result = run(script)
        if result is None:
            failed.append(script.name)
        else:
            # When and under what load this script's figures were taken (the baseline mixes runs).
            result["run"] = {
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "load_average": round(os.getloadavg()[0], 1),
                "commit": commit(),
            }
            results[script.stem] = result
    OUT.mkdir(exist_ok=True)
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "load_average_at_end": round(os.getloadavg()[0], 1),
        "commit": commit(),
    }
    document = {"meta": meta, "results": results}
    (OUT / "latest.json").write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False))
    status = 1 if failed else 0
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    if args.save_baseline or not BASELINE.exists():
        if BASELINE.exists():
            old = json.loads(BASELINE.read_text())["results"]
            # A partial run keeps the other scripts' entries; a failed script keeps its old entry.
            document["results"] = {**old, **results}
        BASELINE.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"\nbaseline written: {BASELINE.relative_to(HERE.parent)}")
        return status
    base = json.loads(BASELINE.read_text())
    print(
        f"\nchange against the baseline of {base['meta']['date']} (commit {base['meta'].get('commit', '?')}):"
    )
    lines = compare(base["results"], results)
    print("\n".join(lines) or "  (nothing comparable)")
    if any(line.startswith("!") for line in lines):
        print("\n'!' = a count rose, or a ratio fell by more than 10 % (re-run first: the machine is shared)")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
