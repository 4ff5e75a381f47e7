"""Sign-in through the real test provider: linking rules, just-in-time accounts, roles stay ours."""

from __future__ import annotations

from sqlalchemy import select

from lms.auth.models import Role
from lms.sso import services
from lms.sso.models import OidcIdentity
from tests.conftest import login
from tests.sso.conftest import counts, sign_in


def _rules(session, admin, **kw):
    values = {
        "link_by_verified_email": True,
        "link_by_username": False,
        "create_accounts": False,
        "holding_unit": None,
        "local_passwords_off": False,
    }
    values.update(kw)
    services.save_settings(session, by=admin, **values)


def test_first_sign_in_links_by_verified_email_and_keeps_our_roles(client, session, oidc_op, make_user):
    user = make_user(Role.TRAINER.value, Role.LEARNER.value, email="An.NV@tinh.example.vn")
    response = sign_in(client, oidc_op, "nguyen.van.an")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard") or "/" in response.headers["Location"]
    identity = session.scalar(select(OidcIdentity).where(OidcIdentity.subject == "nguyen.van.an"))
    assert identity is not None
    assert (identity.user_id, identity.issuer, identity.linked_by) == (user.id, oidc_op.issuer, "email")
    session.refresh(user)
    assert user.roles == {Role.TRAINER.value, Role.LEARNER.value}  # nothing taken from the provider
    assert client.get("/account").status_code == 200  # signed in


def test_later_sign_ins_match_the_subject_not_the_email(client, session, oidc_op, make_user):
    user = make_user(email="someone.else@example.test")
    session.add(
        OidcIdentity(issuer=oidc_op.issuer, subject="tran.thi.binh", user_id=user.id, linked_by="email")
    )
    session.flush()
    before = counts(session)
    assert sign_in(client, oidc_op, "tran.thi.binh").status_code == 302
    assert counts(session) == before
    assert client.get("/account").status_code == 200


def test_unverified_email_is_not_linked(client, session, oidc_op, make_user):
    make_user(email="binh.tt@tinh.example.vn")  # the provider says this address is NOT verified
    before = counts(session)
    response = sign_in(client, oidc_op, "tran.thi.binh")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "chưa có tài khoản" in page
    assert counts(session) == before
    assert client.get("/account").status_code == 302  # not signed in


def test_link_by_username_when_the_admin_allows_it(client, session, oidc_op, make_user):
    admin = make_user(Role.ADMIN.value)
    user = make_user(username="tran.thi.binh", email="binh.other@example.test")
    before = counts(session)
    assert sign_in(client, oidc_op, "tran.thi.binh").status_code == 403  # rule off: refused
    assert counts(session) == before
    _rules(session, admin, link_by_username=True)
    assert sign_in(client, oidc_op, "tran.thi.binh").status_code == 302
    identity = session.scalar(select(OidcIdentity).where(OidcIdentity.user_id == user.id))
    assert identity is not None
    assert identity.linked_by == "username"


def test_just_in_time_account_waits_in_the_holding_unit(client, session, oidc_op, make_user, make_unit):
    admin = make_user(Role.ADMIN.value)
    holding = make_unit(name="Chờ phân công")
    hr = make_user(Role.HR.value, scope=holding)
    _rules(session, admin, create_accounts=True, holding_unit=holding)
    users, identities = counts(session)
    assert sign_in(client, oidc_op, "le.van.cuong").status_code == 302
    assert counts(session) == (users + 1, identities + 1)
    identity = session.scalar(select(OidcIdentity).where(OidcIdentity.subject == "le.van.cuong"))
    created = identity.user
    assert identity.linked_by == "created"
    assert created.org_unit_id == holding.id
    assert created.roles == {Role.LEARNER.value}
    assert created.email is None  # the provider did not verify the address
    assert created in services.accounts_waiting(session, services.get_settings(session))
    # The HR officer of the holding unit sees the new person among their people.
    login(client, hr)
    page = client.get(f"/reports/units/{holding.id}/people").get_data(as_text=True)
    assert created.full_name in page


def test_unknown_user_when_creation_is_off(client, session, oidc_op):
    before = counts(session)
    response = sign_in(client, oidc_op, "pham.thi.dung")
    assert response.status_code == 403
    assert 'data-sso-error="unknown_user"' in response.get_data(as_text=True)
    assert counts(session) == before


def test_deactivated_account_is_refused(client, session, oidc_op, make_user):
    make_user(email="an.nv@tinh.example.vn", is_active=False)
    before = counts(session)
    response = sign_in(client, oidc_op, "nguyen.van.an")
    assert response.status_code == 403
    assert 'data-sso-error="account_disabled"' in response.get_data(as_text=True)
    assert counts(session) == before


def test_account_already_linked_to_another_subject(client, session, oidc_op, make_user):
    user = make_user(email="an.nv@tinh.example.vn")
    session.add(
        OidcIdentity(issuer=oidc_op.issuer, subject="old-subject", user_id=user.id, linked_by="email")
    )
    session.flush()
    before = counts(session)
    response = sign_in(client, oidc_op, "nguyen.van.an")
    assert response.status_code == 403
    assert 'data-sso-error="already_linked"' in response.get_data(as_text=True)
    assert counts(session) == before
