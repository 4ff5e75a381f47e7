"""The shared form-field macro ties hints and errors to their input for screen readers."""

from __future__ import annotations

from lms.auth.models import Role


def test_hint_and_error_are_both_in_aria_describedby(make_user, login_as):
    client = login_as(make_user(Role.ADMIN))
    page = client.get("/admin/units/new").get_data(as_text=True)
    assert 'id="code-hint"' in page
    assert 'aria-describedby="code-hint"' in page
    page = client.post("/admin/units/new", data={"code": "", "name": ""}).get_data(as_text=True)
    assert 'aria-describedby="code-hint code-err"' in page
    assert 'aria-invalid="true"' in page
