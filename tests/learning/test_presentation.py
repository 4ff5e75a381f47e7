"""How a lesson body is shown: scrollable tables, titled note boxes, diagrams, heading order."""

from __future__ import annotations

import html
import re
from itertools import pairwise
from urllib.parse import urljoin

import pytest

from lms.auth.models import Role
from lms.learning.present import present_lesson_html
from tests.catalog.helpers import import_dir
from tests.conftest import ROOT

LESSON = "/courses/dich-vu-cong-truc-tuyen/learn/01-khai-niem-va-muc-do/02-bon-muc-do-theo-nd-43-2011"
DIAGRAM = "/courses/chu-ky-so-cong-vu/learn/01-khai-niem/02-ham-bam-va-cap-khoa"


@pytest.fixture
def real_courses(session):
    import_dir(session, ROOT / "courses")


def test_tables_notes_and_diagrams_get_their_markup(app):
    html = (
        "<table><tr><td>a</td></tr></table>"
        '<div class="admonition warning">\n<p>x</p>\n</div>'
        '<p><img src="../../assets/m/d.svg?v=1" alt="Sơ đồ"></p>'
        '<p>text <img src="i.png" alt="inline"></p>'
    )
    with app.test_request_context():
        out = str(present_lesson_html(html))
    assert out.startswith('<div class="table-scroll" role="region" tabindex="0" aria-label="Bảng')
    assert "</table></div>" in out
    assert '<div class="admonition warning" role="note"><p class="admonition-title">Cảnh báo</p>' in out
    assert '<figure class="lesson-figure"><img src="../../assets/m/d.svg?v=1" alt="Sơ đồ">' in out
    assert '<a href="../../assets/m/d.svg?v=1">Mở sơ đồ ở kích thước đầy đủ</a>' in out
    assert '<p>text <img src="i.png" alt="inline"></p>' in out  # an inline image is left alone


def test_real_lesson_wraps_every_table_and_titles_every_note(real_courses, make_user, login_as):
    page = login_as(make_user(Role.TRAINER)).get(LESSON).get_data(as_text=True)
    body = page.split('<div class="lesson-body">', 1)[1]
    assert body.count("<table>") == 2
    assert body.count('<div class="table-scroll" role="region" tabindex="0"') == 2
    assert '<p class="admonition-title">Mẹo</p>' in body
    assert '<p class="admonition-title">Cảnh báo</p>' in body


def test_real_diagram_keeps_alt_text_and_links_full_size_image(real_courses, make_user, login_as):
    client = login_as(make_user(Role.TRAINER))
    page = client.get(DIAGRAM).get_data(as_text=True)
    match = re.search(r'<figure class="lesson-figure"><img src="([^"]+)" alt="([^"]+)">', page)
    assert match
    assert match[2] == "Sơ đồ ký số và kiểm tra chữ ký số"
    assert f'<a href="{match[1]}">' in page
    image = client.get(urljoin(DIAGRAM, html.unescape(match[1])))
    assert image.status_code == 200


def test_lesson_headings_start_at_h1_and_never_skip_a_level(real_courses, make_user, login_as):
    page = login_as(make_user(Role.TRAINER)).get(LESSON).get_data(as_text=True)
    main = page.split('<main id="main"', 1)[1]
    levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", main)]
    assert levels[0] == 1
    assert levels.count(1) == 1
    assert all(b <= a + 1 for a, b in pairwise(levels)), levels


def test_dashboard_says_start_until_the_first_lesson_is_opened(real_courses, make_user, login_as):
    client = login_as(make_user())
    client.post("/courses/chu-ky-so-cong-vu/enrol")
    page = client.get("/").get_data(as_text=True)
    assert "Bắt đầu khoá học</a>" in page
    assert "Học tiếp</a>" not in page
    client.get("/courses/chu-ky-so-cong-vu/learn/01-khai-niem/01-chu-ky-so-la-gi")
    page = client.get("/").get_data(as_text=True)
    assert "Học tiếp</a>" in page


def test_lesson_and_course_pages_have_a_labelled_breadcrumb(real_courses, make_user, login_as):
    client = login_as(make_user(Role.TRAINER))
    page = client.get(LESSON).get_data(as_text=True)
    crumb = page.split('<nav class="breadcrumbs no-print" aria-label="Đường dẫn điều hướng"><ol>', 1)[1]
    crumb = crumb.split("</ol></nav>", 1)[0]
    assert (
        '<a href="/courses/dich-vu-cong-truc-tuyen">Dịch vụ công trực tuyến toàn trình và một phần (trước đây mức độ 3, 4)</a>'
        in crumb
    )
    assert "<li>Dịch vụ công trực tuyến toàn trình, một phần và cách gọi cũ</li>" in crumb
    page = client.get("/courses/dich-vu-cong-truc-tuyen").get_data(as_text=True)
    assert '<nav class="breadcrumbs" aria-label="Đường dẫn điều hướng"><ol><li><a href="/courses/">' in page


def test_vietnamese_lesson_text_is_marked_as_vietnamese_in_the_english_interface(
    real_courses, make_user, login_as
):
    page = login_as(make_user(Role.TRAINER, locale="en")).get(LESSON).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<h1 lang="vi">Bốn mức độ trước đây' in page
    assert '<div class="lesson-body" lang="vi">' in page
    page = login_as(make_user(Role.TRAINER)).get(LESSON).get_data(as_text=True)
    assert '<div class="lesson-body">' in page
    assert "<h1>Bốn mức độ" in page


def test_course_requirements_before_enrolment_are_listed_with_markers(real_courses, make_user, login_as):
    page = login_as(make_user()).get("/courses/chu-ky-so-cong-vu").get_data(as_text=True)
    assert '<li><span aria-hidden="true">○</span> Hoàn thành mọi bài học bắt buộc</li>' in page
