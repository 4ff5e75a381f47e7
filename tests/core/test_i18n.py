"""Every UI message is translated in vi and en; dates and numbers are shown the Vietnamese way."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from flask import render_template_string

from tests.conftest import ROOT


def test_no_untranslated_messages():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "i18n.py"), "check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def _render(app, template, lang, **values):
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = lang
        return render_template_string(template, **values)


def test_datetimes_in_vietnamese_format_and_local_time(app):
    at = dt.datetime(2026, 11, 27, 17, 5, tzinfo=dt.UTC)  # 00:05 next day in Hà Nội
    assert _render(app, "{{ at|local_dt }}", "vi", at=at) == "00:05 28/11/2026"
    assert _render(app, "{{ at|local_date }}", "vi", at=at) == "28/11/2026"
    assert _render(app, "{{ d|local_date }}", "vi", d=dt.date(2026, 1, 9)) == "09/01/2026"
    assert "Nov 28, 2026" in _render(app, "{{ at|local_dt }}", "en", at=at)


def test_numbers_in_vietnamese_format(app):
    assert _render(app, "{{ n|number }}", "vi", n=1234567) == "1.234.567"
    assert _render(app, "{{ n|number }}", "vi", n=98.5) == "98,5"
    assert _render(app, "{{ n|number }}", "en", n=1234567.5) == "1,234,567.5"


def test_built_in_form_messages_are_vietnamese(client):
    html = client.post("/login", data={"login": "", "password": ""}).get_data(as_text=True)
    assert "Trường này là bắt buộc." in html
    assert "This field is required." not in html


def test_templates_translate_in_the_locale_of_each_render(app):
    """Templates read the catalogue once per render (decision 1906), yet follow the render's locale:
    a block rendered inside force_locale (an e-mail in its recipient's language) and a macro
    imported without context are translated too."""
    from flask_babel import force_locale

    page = "{{ _('Log out') }}|{% trans %}Log out{% endtrans %}|{{ ngettext('%(num)d lesson', '%(num)d lessons', 2) }}"
    assert (
        _render(
            app,
            page,
            "vi",
        )
        == "Đăng xuất|Đăng xuất|2 bài học"
    )
    assert _render(app, page, "en") == "Log out|Log out|2 lessons"
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "vi"
        with force_locale("en"):
            assert render_template_string(page) == "Log out|Log out|2 lessons"
        assert render_template_string(page) == "Đăng xuất|Đăng xuất|2 bài học"
        macro = app.jinja_env.from_string("{% macro m() %}{{ _('Log out') }}{% endmacro %}")
        assert render_template_string("{{ m() }}", m=macro.module.m) == "Đăng xuất"
