"""An XSS corpus and a checker that parses HTML and finds live markup."""

from __future__ import annotations

from html.parser import HTMLParser

CORPUS = [
    "<script>alert('s')</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">a</a>',
    "[link](javascript:alert(1))",
    "[link2](JaVaScRiPt:alert(1))",
    "[link3](&#106;avascript:alert(1))",
    "![img](javascript:alert(1))",
    "<svg onload=alert(1)><script>alert(2)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<div style="background:url(javascript:alert(1));width:expression(alert(1))">css</div>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<form action="javascript:alert(1)"><button>f</button></form>',
    '"><svg/onload=alert(1)>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    "<object data=javascript:alert(1)></object><embed src=javascript:alert(1)>",
    "<style>@import 'javascript:alert(1)';</style>",
    "javascript:alert(1)",
]
PAYLOAD = "\n\n".join(CORPUS)
SHORT = " ".join(CORPUS[:3] + CORPUS[7:8] + CORPUS[10:11])  # fits one-line fields

DANGEROUS_TAGS = {
    "script",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "style",
    "noscript",
    "base",
    "link",
    "meta",
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


class _Checker(HTMLParser):
    def __init__(self, allowed_script_prefix: str) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed_script_prefix = allowed_script_prefix
        self.problems: list[str] = []
        self.in_head = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        amap = {k.lower(): (v or "") for k, v in attrs}
        if tag == "body":
            self.in_head = False
        if tag == "script" and amap.get("src", "").startswith(self.allowed_script_prefix) and len(amap) <= 2:
            return  # the site's own bundled scripts (src + defer)
        if (
            tag == "link"
            and self.in_head
            and amap.get("rel") in ("stylesheet", "icon")  # the site's own CSS and favicon
            and amap.get("href", "").startswith("/static/")
        ):
            return
        if tag == "meta" and self.in_head:
            return
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in amap.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name == "style":
                self.problems.append(f"<{tag} style>")
            if name in {"href", "src", "action", "formaction", "xlink:href", "data"}:
                compact = "".join(value.split()).lower()
                if compact.startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value[:30]}>")


def live_markup(html: str) -> list[str]:
    """Every element or attribute in html that could run script (empty = safe)."""
    checker = _Checker("/static/js/")
    checker.feed(html)
    checker.close()
    return checker.problems
