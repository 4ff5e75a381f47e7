"""Git merge driver for .po catalogues: union of both sides' entries.

Set up once per clone (the Makefile's `setup-git` target does it):
    git config merge.po-union.driver "python3 scripts/po_merge.py %O %A %B"
Entries are keyed by msgid; when both sides translate a message, ours wins.
The result is sorted like `pybabel update --sort-output` writes it.
"""

from __future__ import annotations

import sys

import polib


def merge(_base: str, ours: str, theirs: str) -> None:
    a = polib.pofile(ours, wrapwidth=76)
    b = polib.pofile(theirs, wrapwidth=76)
    entries = {(e.msgctxt, e.msgid): e for e in b if not e.obsolete}
    for e in a:
        if e.obsolete:
            continue
        key = (e.msgctxt, e.msgid)
        other = entries.get(key)
        if other is not None and not e.msgstr and other.msgstr:
            continue  # keep theirs (translated)
        entries[key] = e
    out = polib.POFile(wrapwidth=76)
    out.metadata = a.metadata or b.metadata
    out.metadata_is_fuzzy = False  # a fuzzy header makes pybabel skip the whole catalogue
    for key in sorted(entries, key=lambda k: (k[0] or "", k[1])):
        out.append(entries[key])
    out.save(ours)


if __name__ == "__main__":
    merge(*sys.argv[1:4])
