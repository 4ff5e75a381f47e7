"""A learner, as in Moodle's load-test plan ("L" shape scaled to this machine; see run.py).

Each simulated learner logs in, then loops: the dashboard, the course page, a lesson or two,
the quiz (intro, attempt page) with answers autosaved one question at a time, thinking 5-15 s
between actions. Who they are and which attempt they answer comes from the plan JSON that
``run.py`` writes (LMS_LOAD_PLAN); requests are grouped by type for the p95 table.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["LMS_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
_people = itertools.cycle(PLAN["learners"])
TOKEN = re.compile(r'name="csrf[-_]token" (?:value|content)="([^"]+)"')


class Learner(HttpUser):
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.me: dict[str, Any] = next(_people)
        self.seq = int(self.me["start"])
        page = self.client.get("/login", name="login page").text
        token = TOKEN.search(page)
        self.client.post(
            "/login",
            data={"csrf_token": token.group(1) if token else "", "login": self.me["username"],
                  "password": PLAN["password"]},
            name="login",
        )  # fmt: skip
        self.token = ""

    @task(2)
    def read_lessons(self) -> None:
        self.client.get("/", name="dashboard")
        self.client.get(f"/courses/{PLAN['course']}", name="course page")
        for path in random.sample(PLAN["lessons"], k=min(2, len(PLAN["lessons"]))):
            self.wait()
            self.client.get(path, name="lesson page")

    @task(1)
    def take_quiz(self) -> None:
        self.client.get(f"/quizzes/{PLAN['quiz']}", name="quiz intro")
        page = self.client.get(f"/quizzes/attempt/{self.me['attempt']}", name="quiz page").text
        token = TOKEN.search(page)
        self.token = token.group(1) if token else self.token
        for question in random.sample(self.me["questions"], k=min(4, len(self.me["questions"]))):
            self.wait()
            body = {
                "question": question["id"],
                "seq": self.seq + 1,
                "base": self.seq,
                "fields": question["fields"],
            }
            with self.client.post(
                f"/quizzes/attempt/{self.me['attempt']}/autosave",
                json=body,
                headers={"X-CSRFToken": self.token},
                name="autosave",
                catch_response=True,
            ) as resp:
                if resp.status_code == 200:
                    self.seq += 1
                    resp.success()
                else:
                    resp.failure(f"{resp.status_code}: {resp.text[:120]}")
