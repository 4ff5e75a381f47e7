"""The one place where HTML is sanitised and Markdown rendered.

Everything that stores HTML (lessons, question text, explanations) calls
``render_markdown`` or ``clean_html`` when the content is imported or saved;
templates then output the stored HTML as-is.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable

import bleach
from bleach.css_sanitizer import CSSSanitizer
from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div",
        "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "div": ["class"],
    "span": ["class"],
    "code": ["class"],
    "th": ["align", "colspan", "rowspan", "scope"],
    "td": ["align", "colspan", "rowspan"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
ALLOWED_CLASSES = re.compile(r"^(note|tip|warning|admonition(-title)?|language-[a-z0-9-]+)$")
NOTE_KINDS = ("note", "tip", "warning")

_css = CSSSanitizer(allowed_css_properties=[])


def _filter_attr(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if name == "class":
        return all(ALLOWED_CLASSES.match(c) for c in value.split())
    if tag == "img" and name == "src":
        return not value.lower().lstrip().startswith(("javascript:", "data:", "vbscript:"))
    return True


def clean_html(html: str) -> str:
    """Sanitise HTML with the project's allowlist (scripts, handlers, styles removed)."""
    attrs: dict[str, Callable[[str, str, str], bool]] = dict.fromkeys(ALLOWED_TAGS, _filter_attr)
    return bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=attrs,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        css_sanitizer=_css,
    )


def _note_renderer(kind: str) -> Callable[..., str]:
    def render(self: object, tokens: list, idx: int, _options: object, env: object) -> str:
        if tokens[idx].nesting == 1:
            return f'<div class="admonition {kind}">\n'
        return "</div>\n"

    return render


def _make_md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    for kind in NOTE_KINDS:
        md.use(container_plugin, name=kind, render=_note_renderer(kind))
    return md


_md = _make_md()


def render_markdown(
    text: str, *, rewrite_url: Callable[[str], str | None] | None = None, inline: bool = False
) -> str:
    """Render Markdown to sanitised HTML.

    ``rewrite_url`` maps each link/image URL (e.g. a relative image path to its
    served URL); returning None drops the URL.
    """
    env: dict = {}
    tokens = _md.parseInline(text, env) if inline else _md.parse(text, env)
    if rewrite_url is not None:
        _rewrite_urls(tokens, rewrite_url)
    html = _md.renderer.render(tokens, _md.options, env)
    return clean_html(html)


def _rewrite_urls(tokens: list, rewrite: Callable[[str], str | None]) -> None:
    for token in tokens:
        if token.children:
            _rewrite_urls(token.children, rewrite)
        for attr in ("src", "href"):
            value = token.attrGet(attr)
            if value is None:
                continue
            new = rewrite(str(value))
            if new is None:
                token.attrs.pop(attr, None)
            else:
                token.attrSet(attr, new)


def plain_text(html: str) -> str:
    """Strip all markup (for search keys, CSV exports and PDFs): text, not HTML ("&", not "&amp;").

    The result is NOT safe to output as HTML unescaped; templates escape it as usual.
    """
    return htmllib.unescape(bleach.clean(html, tags=set(), strip=True, strip_comments=True))
