"""Admin pages run a fixed number of SQL statements whatever the data size."""

from __future__ import annotations


def _statements(client, count_queries, url):
    with count_queries() as q:
        assert client.get(url).status_code == 200
    return q.count


def test_user_list_and_unit_tree_do_not_grow_with_data(client, make_user, make_unit, login_as, count_queries):
    login_as(make_user("admin"))
    root = make_unit()
    for _ in range(3):
        make_user("learner", "trainer", unit=make_unit(root))
    small = {
        u: _statements(client, count_queries, u) for u in ("/admin/users", "/admin/units", "/admin/audit")
    }
    for _ in range(30):
        unit = make_unit(make_unit(root))
        make_user("learner", "hr", unit=unit, scope=unit)
    large = {u: _statements(client, count_queries, u) for u in small}
    assert large == small
