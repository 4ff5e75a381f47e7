"""A visitor, never signed in, reads the public citizens' course from the catalogue to its last lesson."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_visitor_reads_the_public_course_without_an_account(page, live_server):
    page.context.clear_cookies()
    page.goto(f"{live_server}/courses/")
    links = page.locator("main a[href^='/courses/']")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert "/courses/cong-dan-dien-tu" in hrefs
    assert "/courses/dich-vu-cong-truc-tuyen" not in hrefs
    page.goto(f"{live_server}/courses/cong-dan-dien-tu")
    page.get_by_role("link", name="Bắt đầu đọc").click()
    page.wait_for_load_state()
    assert page.locator("article.lesson h1").inner_text().startswith("VNeID là gì")
    expect(page.get_by_text("Bạn đang đọc với tư cách khách")).to_be_visible()
    expect(page.locator("form[action$='/complete']")).to_have_count(0)
    titles = [page.locator("article.lesson h1").inner_text()]
    while page.locator("a[rel=next]").count():
        page.locator("a[rel=next]").click()
        page.wait_for_load_state()
        titles.append(page.locator("article.lesson h1").inner_text())
    assert len(titles) == 6
    assert titles[-1].startswith("Đánh giá việc giải quyết")
    page.goto(f"{live_server}/courses/dich-vu-cong-truc-tuyen")
    assert "/login" in page.url
