"""Uploaded ZIPs are vetted before anything is unpacked: size, paths, links, bombs."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from lms.authoring.files import UnsafeZipError, ZipLimits, extract_zip


def _zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_a_course_folder_is_unpacked(tmp_path: Path) -> None:
    data = _zip({"ky-so/course.yaml": b"slug: ky-so\n", "ky-so/01-a/module.yaml": b"title: A\n"})
    folder = extract_zip(data, tmp_path)
    assert folder == (tmp_path / "ky-so").resolve()
    assert (folder / "01-a" / "module.yaml").read_bytes() == b"title: A\n"


@pytest.mark.parametrize(
    "name", ["../evil.txt", "ky-so/../../evil.txt", "/etc/evil", "C:/evil.txt", "ky-so\\..\\evil.txt"]
)
def test_paths_outside_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    data = _zip({"ky-so/course.yaml": b"slug: ky-so\n", name: b"x"})
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeZipError):
        extract_zip(data, target)
    assert not (tmp_path / "evil.txt").exists()
    assert list(target.iterdir()) == []  # refused before unpacking anything


def test_symlinks_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("ky-so/course.yaml", b"slug: ky-so\n")
        info = zipfile.ZipInfo("ky-so/link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeZipError):
        extract_zip(buffer.getvalue(), tmp_path)


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    data = _zip({"ky-so/course.yaml": b"slug: ky-so\n", "ky-so/media/bomb.png": b"\0" * (20 * 1024 * 1024)})
    assert len(data) < 100_000  # compresses > 200×
    with pytest.raises(UnsafeZipError, match="bomb"):
        extract_zip(data, tmp_path)
    assert not any(tmp_path.rglob("bomb.png"))


def test_total_uncompressed_size_is_limited(tmp_path: Path) -> None:
    import os

    data = _zip({"ky-so/course.yaml": b"slug: ky-so\n", "ky-so/media/a.bin": os.urandom(300_000)})
    with pytest.raises(UnsafeZipError):
        extract_zip(data, tmp_path, ZipLimits(max_total_bytes=200_000))


def test_upload_size_and_member_count_are_limited(tmp_path: Path) -> None:
    data = _zip({f"ky-so/{i}.md": b"x" for i in range(20)} | {"ky-so/course.yaml": b"slug: ky-so\n"})
    with pytest.raises(UnsafeZipError):
        extract_zip(data, tmp_path, ZipLimits(max_members=10))
    with pytest.raises(UnsafeZipError):
        extract_zip(data, tmp_path, ZipLimits(max_upload_bytes=100))


def test_not_a_zip_and_no_course_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UnsafeZipError):
        extract_zip(b"PK\x03\x04 not really", tmp_path)
    with pytest.raises(UnsafeZipError):
        extract_zip(_zip({"readme.txt": b"hi"}), tmp_path / "b")
    with pytest.raises(UnsafeZipError):
        extract_zip(_zip({"a/course.yaml": b"x", "b/course.yaml": b"y"}), tmp_path / "c")
