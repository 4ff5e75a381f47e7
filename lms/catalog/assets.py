"""Course images: type sniffing, size limit, the SVG safety check, and serving one."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from flask import request
from werkzeug.wrappers import Response

from lms.catalog.models import CourseAsset
from lms.catalog.yamlfile import N_

MAX_ASSET_BYTES = 512 * 1024
ASSET_MAX_AGE = 365 * 24 * 3600
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}

_SVG_FORBIDDEN_TAGS = {
    "script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler",
    "listener", "set", "animate", "animatemotion", "animatetransform", "image",
}  # fmt: skip
_URL_IN_CSS = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


def sniff_type(data: bytes) -> str | None:
    """The image type from the file's first bytes (never trust the extension alone)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return None


def check_image(suffix: str, data: bytes) -> tuple[str | None, list[str]]:
    """Return (content type, problems as English msgids) for an image file."""
    expected = IMAGE_TYPES.get(suffix.lower())
    if expected is None:
        return None, [N_("not an allowed image type (PNG, JPEG, GIF, WebP, SVG)")]
    if len(data) > MAX_ASSET_BYTES:
        return None, [N_("image is larger than 512 KB")]
    found = sniff_type(data)
    if found != expected:
        return None, [N_("file content does not match its extension")]
    if found == "image/svg+xml":
        problems = svg_problems(data)
        if problems:
            return None, problems
    return found, []


def svg_problems(data: bytes) -> list[str]:
    """Why an SVG is unsafe to serve (scripts, handlers, external references), or []."""
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        return [N_("SVG must not contain a DOCTYPE or entities")]
    try:
        root = ET.fromstring(data)  # noqa: S314  (DOCTYPE/entities refused above)  # nosec B314
    except ET.ParseError:
        return [N_("SVG is not well-formed XML")]
    problems: set[str] = set()
    for el in root.iter():
        tag = str(el.tag).rsplit("}", 1)[-1].lower()
        if tag in _SVG_FORBIDDEN_TAGS:
            problems.add(N_("SVG contains a forbidden element (script, foreignObject, image, animation)"))
        if tag == "style" and el.text and ("@import" in el.text.lower() or _URL_IN_CSS.search(el.text)):
            problems.add(N_("SVG style refers to an external resource"))
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            v = value.strip().lower()
            if local.startswith("on"):
                problems.add(N_("SVG contains an event handler attribute"))
            elif (local == "href" and not v.startswith("#")) or "javascript:" in v or _URL_IN_CSS.search(v):
                problems.add(N_("SVG refers to an external resource"))
    return sorted(problems)


def asset_response(item: CourseAsset) -> Response:
    """Serve a course image (published or draft; the caller checked access).

    Its sniffed type, a strong ETag (304 when unchanged), long caching only for
    versioned URLs (``?v=<sha256 prefix>``), and a sandbox CSP on SVG: opened on its
    own, an SVG is a document and must run nothing.
    """
    response = Response(item.data, mimetype=item.content_type)
    response.set_etag(item.sha256)
    if request.args.get("v") and item.sha256.startswith(request.args["v"]):
        response.headers["Cache-Control"] = f"private, max-age={ASSET_MAX_AGE}, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    if item.content_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response.make_conditional(request)
