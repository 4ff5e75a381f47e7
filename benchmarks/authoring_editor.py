"""Course editor: SQL statements per request at two course sizes, and page cost vs /healthz.

Builds a throw-away SQLite database, a trainer and two draft courses (small:
3 modules × 3 lessons, large: 15 modules × 10 lessons with a quiz per module),
then prints statements per request for the editor pages and publishing, and
the editor page's time as a ratio of /healthz (machine-independent).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command
from sqlalchemy import event

from benchmarks._common import emit
from lms import create_app
from lms.auth.models import User
from lms.authoring import services
from lms.core.migrate import alembic_config
from lms.db import db


def build(session, author, slug: str, modules: int, lessons: int):
    course = services.create_course(session, slug=slug, title=f"Khoá {slug}", topic="other", by=author)
    draft = services.get_draft(session, course)
    draft.summary = "Tóm tắt"
    for m in range(modules):
        module = services.add_module(session, draft, f"Mô-đun {m + 1}", by=author)
        for n in range(lessons):
            lesson = services.add_lesson(session, module, f"Bài {m + 1}.{n + 1}", by=author)
            lesson.body_markdown = f"## Mục\n\nNội dung bài {n}. **Đậm**.\n"
    session.flush()
    return course


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="lms-bench-authoring-"))
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app("testing", SQLALCHEMY_DATABASE_URL=url, INSTANCE_PATH=str(tmp))
    with app.app_context():
        author = User(username="gv", email="gv@example.test", full_name="Giảng viên")
        author.set_roles({"trainer"})
        db.session.add(author)
        db.session.flush()
        small = build(db.session, author, "nho", 3, 3)
        large = build(db.session, author, "lon", 15, 10)
        db.session.commit()
        engine = db.engine
        ids = {"small": small.id, "large": large.id, "author": author.id, "sv": author.session_version}

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{ids['author']}:{ids['sv']}"
        sess["_fresh"] = True

    def count(method: str, url: str, **kw) -> int:
        statements.clear()
        response = client.open(url, method=method, **kw)
        assert response.status_code in (200, 302), (url, response.status_code)
        return len(statements)

    result: dict[str, dict] = {"ratios": {}, "counts": {}, "figures": {}}
    print("statements per request (small course 3×3 → large course 15×10):")
    for label, path in [
        ("editor page", "/authoring/{id}/"),
        ("preview as learner", "/authoring/{id}/preview"),
        ("question bank", "/authoring/{id}/quizzes"),
        ("authoring index", "/authoring/"),
    ]:
        a = count("GET", path.format(id=ids["small"]))
        b = count("GET", path.format(id=ids["large"]))
        print(f"  {label:22s} {a:4d} → {b:4d}")
        result["counts"][f"{label} SQL (small)"] = a
        result["counts"][f"{label} SQL (large)"] = b
    a = count("POST", f"/authoring/{ids['small']}/publish", data={"note": ""})
    b = count("POST", f"/authoring/{ids['large']}/publish", data={"note": ""})
    print(f"  {'publish':22s} {a:4d} → {b:4d}   (grows with lessons: one upsert each)")
    result["counts"]["publish SQL (small)"] = a
    result["counts"]["publish SQL (large)"] = b

    def timed(url: str, n: int = 30) -> float:
        start = time.perf_counter()
        for _ in range(n):
            client.get(url)
        return (time.perf_counter() - start) / n

    base = timed("/healthz")
    for label, course_id in (("small", ids["small"]), ("large", ids["large"])):
        ratio = timed(f"/authoring/{course_id}/") / base
        print(f"editor page ({label}) costs {ratio:.1f}× /healthz")
        result["ratios"][f"editor page ({label}) / healthz"] = round(
            1 / ratio, 4
        )  # a share: higher is better
    emit(result)


if __name__ == "__main__":
    main()
