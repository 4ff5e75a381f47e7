"""Uploaded lesson images: the type comes from the bytes, never from the name."""

from __future__ import annotations

import secrets

# Magic numbers of the raster formats lessons may use → (content type, extension).
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)

MAX_IMAGE_BYTES = 512 * 1024


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PNG/JPEG/GIF/WebP by its magic number, else None.

    SVG is deliberately not recognised: browser uploads of SVG are refused
    (scriptable XML); SVG arrives only through course files, sanitised there.
    """
    for magic, content_type, ext in _SIGNATURES:
        if data.startswith(magic):
            return content_type, ext
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def random_image_name(ext: str) -> str:
    """A random, unguessable file name under the course's media/ folder."""
    return f"media/{secrets.token_hex(12)}.{ext}"
