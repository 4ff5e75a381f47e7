"""Deep Linking: the platform teacher picks from our catalogue; the platform accepts our signed response."""

from __future__ import annotations

import re
from typing import Any

import requests

from tests.lti.conftest import TOOL, begin
from tests.lti.platform import DL, Platform


def test_teacher_picks_a_quiz_and_the_platform_places_it_with_a_line_item(
    client: Any, session: Any, platform: Platform, registration: Any, make_course: Any
) -> None:
    from tests.quizzes.helpers import load_fixture_course

    course = load_fixture_course(session, slug="dl-course")
    hint = {"type": "deep_linking", "user": "teach-1", "target_link_uri": f"{TOOL}/lti/launch"}
    location, _state, _nonce = begin(client, platform, hint)
    page = requests.get(location, timeout=10).text
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    resp = client.post("/lti/launch", data=fields)
    assert resp.status_code == 303
    picker_url = resp.headers["Location"]
    assert picker_url.startswith("/lti/deep-link/")
    picker = client.get(picker_url)
    html = picker.get_data(as_text=True)
    assert picker.status_code == 200
    assert f"frame-ancestors 'self' {platform.base_url}" in picker.headers["Content-Security-Policy"]
    choices = re.findall(r'name="item" id="[^"]+" value="([^"]+)"', html)
    quiz_choice = next(c for c in choices if c.startswith(f"quiz:{course.slug}/"))
    assert f"course:{course.slug}" in choices
    # Nothing chosen: the picker again, with the reason.
    assert "Hãy chọn một khoá học" in client.post(picker_url, data={}).get_data(as_text=True)
    done = client.post(picker_url, data={"item": quiz_choice})
    body = done.get_data(as_text=True)
    assert done.status_code == 200
    assert f'action="{platform.base_url}/deep-link-return"' in body
    assert f"form-action 'self' {platform.base_url}" in done.headers["Content-Security-Policy"]
    assert "<button" in body  # works without JavaScript
    jwt_value = re.search(r'name="JWT" value="([^"]+)"', body).group(1)
    before = len(platform.links)
    accepted = requests.post(f"{platform.base_url}/deep-link-return", data={"JWT": jwt_value}, timeout=10)
    assert accepted.status_code == 200, accepted.text
    assert len(platform.links) == before + 1
    item = platform.deep_link_responses[-1][DL + "content_items"][0]
    assert item["custom"] == {"target": quiz_choice}
    assert item["lineItem"]["resourceId"] == quiz_choice
    assert item["url"].startswith(f"{TOOL}/quizzes/")
    # The picker's token is spent: a second response cannot be made from it.
    assert client.post(picker_url, data={"item": quiz_choice}).status_code == 403
