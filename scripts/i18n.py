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
        fix_header(po_path, lang)
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


HEADER = {
    "Project-Id-Version": "lms",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}
PLURALS = {"vi": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}


def fix_header(po_path: Path, lang: str) -> None:
    """Give the catalogue a complete, non-fuzzy header.

    A header marked fuzzy (or lost in a merge) makes pybabel skip the whole
    catalogue when compiling, and the site silently falls back to English.
    """
    import polib

    po = polib.pofile(str(po_path))
    po.metadata = {**HEADER, "Language": lang, "Plural-Forms": PLURALS[lang]}
    po.metadata_is_fuzzy = False
    po.save()


def compile_() -> None:
    pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


def check(quiet: bool = False) -> list[tuple[str, str]]:
    import polib

    extract()
    ids = {e.msgid for e in polib.pofile(str(POT))}
    missing: list[tuple[str, str]] = []
    for lang in LANGS:
        po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        header = polib.pofile(str(po_path))
        if header.metadata_is_fuzzy or "charset=UTF-8" not in header.metadata.get("Content-Type", ""):
            missing.append((lang, "<catalogue header missing or fuzzy: run scripts/i18n.py update>"))
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
