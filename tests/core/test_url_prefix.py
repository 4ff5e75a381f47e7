"""Mounted under /hoc-truc-tuyen behind the portal: every link, form, redirect and static file keeps the prefix."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from lms import create_app
from tests.conftest import PASSWORD

PREFIX = "/hoc-truc-tuyen"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.follow: list[str] = []  # a href, link href, script src, img src
        self.actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in {"a", "link"} and a.get("href"):
            self.follow.append(a["href"])
        elif tag in {"script", "img"} and a.get("src"):
            self.follow.append(a["src"])
        elif tag == "form":
            self.actions.append(a.get("action") or "")


def links_of(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


@pytest.fixture
def prefixed(database_url, tmp_path):
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URL=database_url, INSTANCE_PATH=str(tmp_path), URL_PREFIX=PREFIX
    )
    yield app
    app.extensions["lms.db"].engine.dispose()


def test_outside_the_prefix_is_not_served(prefixed):
    client = prefixed.test_client()
    assert client.get("/login").status_code == 404
    assert client.get(f"{PREFIX}/healthz").status_code == 200


def test_login_page_static_files_and_redirect_after_login(prefixed, make_user):
    make_user("admin", "learner", username="tien")
    client = prefixed.test_client()
    resp = client.get(f"{PREFIX}/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(f"{PREFIX}/login")
    html = client.get(f"{PREFIX}/login").get_data(as_text=True)
    links = links_of(html)
    css = [u for u in links.follow if u.endswith(".css")]
    assert css
    assert css[0].startswith(f"{PREFIX}/static/")
    with client.get(css[0]) as static:
        assert static.status_code == 200
    resp = client.post(
        f"{PREFIX}/login?next={PREFIX}/admin/users", data={"login": "tien", "password": PASSWORD}
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"{PREFIX}/admin/users"
    cookie = client.get_cookie("lms_session", path=f"{PREFIX}/")
    assert cookie is not None


@pytest.mark.parametrize("page", ["/", "/account", "/courses/", "/admin/", "/admin/users", "/admin/audit"])
def test_every_link_and_form_on_a_page_stays_under_the_prefix(prefixed, make_user, make_unit, page):
    unit = make_unit()
    make_user("admin", "learner", username="tien", unit=unit)
    client = prefixed.test_client()
    client.post(f"{PREFIX}/login", data={"login": "tien", "password": PASSWORD})
    resp = client.get(PREFIX + page)
    assert resp.status_code == 200
    links = links_of(resp.get_data(as_text=True))
    assert links.follow
    for action in links.actions:
        assert action == "" or action.startswith(PREFIX + "/"), action
    for url in links.follow:
        if url.startswith("#"):
            continue
        assert url.startswith(PREFIX + "/"), f"{url} on {page}"
        with client.get(url) as followed:
            assert followed.status_code in {200, 302}, url
            if followed.status_code == 302:
                assert followed.headers["Location"].startswith(PREFIX + "/")


def test_logout_redirects_under_the_prefix(prefixed, make_user):
    make_user(username="tien")
    client = prefixed.test_client()
    client.post(f"{PREFIX}/login", data={"login": "tien", "password": PASSWORD})
    resp = client.post(f"{PREFIX}/logout")
    assert resp.headers["Location"] == f"{PREFIX}/login"


def test_language_switch_returns_to_the_same_page_under_the_prefix(prefixed, make_user):
    make_user("admin", username="tien")
    client = prefixed.test_client()
    client.post(f"{PREFIX}/login", data={"login": "tien", "password": PASSWORD})
    html = client.get(f"{PREFIX}/admin/users?q=a").get_data(as_text=True)
    back = html.split('name="next" value="')[1].split('"')[0]
    assert back == f"{PREFIX}/admin/users?q=a"
    resp = client.post(f"{PREFIX}/language", data={"lang": "en", "next": back})
    assert resp.headers["Location"] == f"{PREFIX}/admin/users?q=a"
