"""Run every benchmark script in this folder, one after the other, and print their output.

Each script is standalone (`python benchmarks/<name>.py`), builds its own data
in a temporary database, talks only to 127.0.0.1 and prints ratios rather than
absolute times where it can, so results compare across machines.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name in {"run_all.py", "__init__.py"} or script.name.startswith("_"):
            continue
        print(f"== {script.name} ==", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
