"""Screenshots of key phone pages for docs/screenshots/ (320 px wide, Debian Chromium).

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Builds a throw-away SQLite database with the demo province, the courses in courses/ and
the demo training plan, serves it on 127.0.0.1, and saves:
  learner-quiz-320.png     a learner answering a module quiz (with a matching question)
  learner-result-320.png   the result page of that quiz
  hr-dashboard-320.png     the HR officer's reports dashboard
"""

from __future__ import annotations

import random
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
LEARNER, PASSWORD = "ux.shots", "ux.shots@2026"


def build(url: str, instance: str):
    from alembic import command

    from lms import create_app
    from lms.catalog.cli import run_import
    from lms.core.migrate import alembic_config
    from lms.db import db
    from lms.demo.province import build_province
    from lms.demo.walk import create_walk_learner
    from lms.quizzes import attempts as quiz_services
    from lms.quizzes.models import Question

    command.upgrade(alembic_config(url), "head")
    app = create_app("testing", SQLALCHEMY_DATABASE_URL=url, INSTANCE_PATH=instance, WTF_CSRF_ENABLED=True)
    with app.app_context():
        s = db.session
        build_province(s, learners_per_unit=1)
        s.commit()
        run_import([ROOT / "courses", ROOT / "courses" / "_example"], dry_run=False, echo=lambda _m: None)
        from lms.demo.training import build_training_demo

        build_training_demo(s)
        s.commit()
        user, _, quiz = create_walk_learner(s, username=LEARNER, password=PASSWORD)
        s.commit()  # the tries below roll back to here
        # A seed whose draw puts the matching question first, so it is in the screenshot.
        for seed in range(200):
            attempt = quiz_services.start_attempt(s, quiz, user, rng=random.Random(seed))
            first = s.get(Question, attempt.entries[0].question_id)
            if first.kind == "matching" or seed == 199:
                break
            s.rollback()
            user = s.merge(user)
        s.commit()
        attempt_id = attempt.id
    return app, attempt_id


def main() -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from lms.demo.walk import login_page

    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app, attempt_id = build(f"sqlite:///{tmp}/shots.sqlite3", tmp)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

            def login(username: str, password: str):
                page = browser.new_context(viewport={"width": 320, "height": 640}).new_page()
                login_page(page, base, username, password)
                return page

            page = login(LEARNER, PASSWORD)
            page.goto(f"{base}/quizzes/attempt/{attempt_id}")
            page.locator("fieldset.question").first.scroll_into_view_if_needed()
            page.screenshot(path=str(out / "learner-quiz-320.png"))
            page.goto(f"{base}/quizzes/attempt/{attempt_id}/submit")
            page.locator("main form button[type=submit]").last.click()
            page.wait_for_load_state()
            page.screenshot(path=str(out / "learner-result-320.png"))
            page = login("nhansu", "nhansu@2026")
            page.goto(f"{base}/reports/")
            page.screenshot(path=str(out / "hr-dashboard-320.png"), full_page=True)
            browser.close()
        server.shutdown()
    for name in ("learner-quiz-320.png", "learner-result-320.png", "hr-dashboard-320.png"):
        print(out / name)


if __name__ == "__main__":
    main()
