"""Message catalogues: `update` re-extracts and merges, `compile` builds .mo, `check` lists gaps.

English message ids are the source; the `en` catalogue is filled with the ids
themselves, so only `vi` needs a translator. `check` exits non-zero when any
message lacks a translation in either language (the test suite runs it too).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "lms" / "translations"
POT = TRANSLATIONS / "messages.pot"
LANGS = ("vi", "en")


def pybabel(*args: str) -> None:
    exe = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(exe), "-q", *args], check=True, cwd=ROOT)


def extract() -> None:
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "--omit-header",
        "-o",
        str(POT),
        "lms",
    )


def update() -> None:
    import polib

    extract()
    for lang in LANGS:
        po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang)
        pybabel(
            "update",
            "-i",
            str(POT),
            "-d",
            str(TRANSLATIONS),
            "-l",
            lang,
            "--no-fuzzy-matching",
            "--omit-header",
            "--ignore-obsolete",
        )
        if lang == "en":
            po = polib.pofile(str(po_path))
            for entry in po:
                if not entry.msgstr and not entry.msgid_plural:
                    entry.msgstr = entry.msgid
                elif entry.msgid_plural and not any(entry.msgstr_plural.values()):
                    entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
            po.save()
    missing = check(quiet=True)
    print(f"catalogues updated; {len(missing)} messages still untranslated")
    for lang, msgid in missing[:50]:
        print(f"  [{lang}] {msgid}")


def compile_() -> None:
    pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


def check(quiet: bool = False) -> list[tuple[str, str]]:
    import polib

    extract()
    ids = {e.msgid for e in polib.pofile(str(POT))}
    missing: list[tuple[str, str]] = []
    for lang in LANGS:
        po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        translated = {
            e.msgid
            for e in polib.pofile(str(po_path))
            if not e.obsolete
            and "fuzzy" not in e.flags
            and (e.msgstr or (e.msgid_plural and all(e.msgstr_plural.values())))
        }
        missing += [(lang, msgid) for msgid in sorted(ids - translated)]
    if not quiet:
        for lang, msgid in missing:
            print(f"[{lang}] untranslated: {msgid}")
    return missing


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "check"
    if cmd == "update":
        update()
    elif cmd == "compile":
        compile_()
    elif cmd == "check":
        sys.exit(1 if check() else 0)
    else:
        sys.exit(f"unknown command {cmd}")
