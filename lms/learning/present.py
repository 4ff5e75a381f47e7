"""Display-time touches on a lesson's stored (already sanitised) HTML.

The stored HTML stays as ``lms.core.html`` made it; here we only add our own
markup around it when the page is shown, so lessons imported before this
change get it too:

- each table sits in a focusable, labelled region that scrolls sideways on a
  narrow screen instead of squeezing words apart;
- each note/tip/warning box gets a visible, translated title (colour alone
  must not carry the meaning, and a printout is often black and white);
- an image alone in its paragraph (a diagram) gets a link to open it at full
  size, shown on narrow screens where the diagram's text is too small.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from markupsafe import Markup, escape

_TABLE_OPEN = re.compile(r"<table>")
_NOTE_OPEN = re.compile(r'<div class="admonition (note|tip|warning)">')
_LONE_IMAGE = re.compile(r'<p>(<img src="([^"]+)"[^>]*>)</p>')


def present_lesson_html(html: str | None) -> Markup:
    """Return the lesson body ready for the page (input is trusted, sanitised HTML)."""
    if not html:
        return Markup("")
    titles = {"note": _("Note"), "tip": _("Tip"), "warning": _("Warning")}
    table_label = escape(_("Table (scroll sideways to see all columns)"))
    full_size = escape(_("Open the diagram at full size"))
    html = _TABLE_OPEN.sub(
        f'<div class="table-scroll" role="region" tabindex="0" aria-label="{table_label}"><table>', html
    ).replace("</table>", "</table></div>")
    html = _NOTE_OPEN.sub(
        lambda m: (
            f'<div class="admonition {m[1]}" role="note">'
            f'<p class="admonition-title">{escape(titles[m[1]])}</p>'
        ),
        html,
    )
    html = _LONE_IMAGE.sub(
        lambda m: (
            f'<figure class="lesson-figure">{m[1]}'
            f'<figcaption class="full-size"><a href="{m[2]}">{full_size}</a></figcaption></figure>'
        ),
        html,
    )
    return Markup(html)  # noqa: S704  (sanitised by lms.core.html at import)  # nosec B704
