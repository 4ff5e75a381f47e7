"""One check for every uploaded ZIP-based file (course archives, XLSX), before anything is parsed.

``vet_archive(source, limits)`` opens the archive's central directory only and
refuses it (``UnsafeArchiveError``, a message in the user's language) when:

* the upload itself is larger than ``max_upload_bytes``;
* it has more than ``max_members`` entries;
* the entries would unpack to more than ``max_total_bytes`` together;
* an entry of over 1 MiB, or the whole archive, expands more than ``max_ratio``
  times (a "zip bomb": 200 KB of XLSX that inflate to 200 MB of sheet XML);
* an entry is encrypted, a symbolic link, or has an unsafe name (``..``,
  absolute, drive letter, backslash, NUL).

The directory can lie about sizes, so readers must still count the bytes they
actually inflate: ``read_member`` yields a member's bytes in chunks and stops
at ``max_total_bytes`` across the archive (``ArchiveBudget``). Decision 1403.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from flask_babel import gettext as _

MIB = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_upload_bytes: int = 20 * MIB
    max_total_bytes: int = 50 * MIB  # uncompressed, all members together
    max_members: int = 2000
    max_ratio: int = 100  # uncompressed / compressed, per member (over 1 MiB) and overall


# An XLSX of people or units: 50,000 people are ~15 MB of XML in a handful of parts.
XLSX_LIMITS = ArchiveLimits(max_upload_bytes=64 * MIB, max_total_bytes=40 * MIB, max_members=200)


class UnsafeArchiveError(Exception):
    """The archive was refused before anything was unpacked; str(error) is shown to the user."""


def member_path(name: str) -> PurePosixPath:
    """The entry's path, or UnsafeArchiveError if it could leave the target folder."""
    if "\\" in name or "\x00" in name:
        raise UnsafeArchiveError(_("Unsafe file name in the archive: %(name)s", name=name))
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchiveError(_("File outside the course folder: %(name)s", name=name))
    return path


def _size(source: bytes | Path | IO[bytes]) -> int:
    if isinstance(source, bytes):
        return len(source)
    if isinstance(source, Path):
        return source.stat().st_size
    here = source.tell()
    end = source.seek(0, io.SEEK_END)
    source.seek(here)
    return end


def vet_archive(source: bytes | Path | IO[bytes], limits: ArchiveLimits) -> zipfile.ZipFile:
    """Open and vet an uploaded archive from its directory, without inflating anything."""
    if _size(source) > limits.max_upload_bytes:
        raise UnsafeArchiveError(_("The file is larger than %(mb)d MB.", mb=limits.max_upload_bytes // MIB))
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchiveError(_("This is not a ZIP file.")) from exc
    try:
        _check_members(zf, limits)
    except UnsafeArchiveError:
        zf.close()
        raise
    return zf


def _check_members(zf: zipfile.ZipFile, limits: ArchiveLimits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeArchiveError(_("The archive holds more than %(n)d files.", n=limits.max_members))
    total = 0
    compressed = 0
    for info in infos:
        member_path(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafeArchiveError(_("Links are not allowed in the archive: %(name)s", name=info.filename))
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(_("Encrypted archives are not accepted."))
        total += info.file_size
        compressed += info.compress_size
        if info.file_size > MIB and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UnsafeArchiveError(_("%(name)s expands too much (a zip bomb?).", name=info.filename))
    if total > limits.max_total_bytes:
        raise UnsafeArchiveError(
            _("The unpacked files would exceed %(mb)d MB.", mb=limits.max_total_bytes // MIB)
        )
    if total > MIB and total > limits.max_ratio * max(compressed, 1):
        raise UnsafeArchiveError(_("The archive expands too much (a zip bomb?)."))


class ArchiveBudget:
    """Counts the bytes really inflated from one archive (its directory may lie)."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.used = 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limits.max_total_bytes:
            raise UnsafeArchiveError(
                _("The unpacked files would exceed %(mb)d MB.", mb=self.limits.max_total_bytes // MIB)
            )


def read_member(
    zf: zipfile.ZipFile, name: str | zipfile.ZipInfo, budget: ArchiveBudget, chunk: int = 64 * 1024
) -> Iterator[bytes]:
    """A member's bytes in chunks, charged to budget (UnsafeArchiveError past the limit)."""
    with zf.open(name) as src:
        while data := src.read(chunk):
            budget.spend(len(data))
            yield data
