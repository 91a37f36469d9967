"""The people of a load test (run it through benchmarks/load_test.py, which prepares them).

Members answer and submit in one step and upload evidence; reviewers approve one by one and in
bulk; leads copy the quarter into the next one; auditors export the audit trail. A refusal the
portal explains (400: someone else changed the answer first, nothing left to approve) is part
of working together, not an error; any 5xx or a dropped connection is.
"""

import json
import os
import random
import re
from pathlib import Path

from django_otp.oath import totp
from locust import HttpUser, between, task

PEOPLE = json.loads(Path(os.environ["LOAD_PEOPLE_FILE"]).read_text())
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="expected_version" value="(\d+)"')
QUEUE_ITEM = re.compile(r'name="item" value="(\d+:\d+)"')
ANSWER_LINK = re.compile(r'href="(/teams/[^/]+/checklists/\d{4}-Q\d/[^/"]+/)"')
EVIDENCE = b"2026-11-30T10:00:00Z INFO pay-api path=/v1/charges status=201 took_ms=84\n" * 200


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = ""

    def on_start(self):
        # One account per simulated person where there are enough (a sign-in code works once).
        self.me = PEOPLE[self.role].pop(0) if len(PEOPLE[self.role]) > 1 else PEOPLE[self.role][0]
        page = self.client.get("/accounts/login/", name="login page")
        signed_in = self.client.post(
            "/accounts/login/",
            {
                "username": self.me["username"],
                "password": self.me["password"],
                "csrfmiddlewaretoken": CSRF.search(page.text)[1],
            },
            name="sign in",
        )
        if "key" in self.me and "/two-factor/" in signed_in.url:
            # Reviewers and auditors: the code of their authenticator key, as an app shows it.
            self.client.post(
                "/accounts/two-factor/",
                {
                    "code": f"{totp(bytes.fromhex(self.me['key'])):06d}",
                    "csrfmiddlewaretoken": CSRF.search(signed_in.text)[1],
                },
                name="sign in: code",
            )

    def _post(self, url: str, data: dict, *, name: str, files=None):
        with self.client.post(url, data, files=files, name=name, catch_response=True) as response:
            if response.status_code >= 500:
                response.failure(f"{response.status_code}")
            else:
                response.success()
            return response


class Member(Person):
    weight = 12
    role = "members"

    @task(3)
    def answer_and_submit(self):
        url = random.choice(self.me["answers"])
        page = self.client.get(url, name="answer page")
        if "Save and submit for review" not in page.text:
            return
        self._post(
            url + "submit",
            {
                "csrfmiddlewaretoken": CSRF.search(page.text)[1],
                "expected_version": VERSION.search(page.text)[1],
                "status": "implemented",
                "statement": f"Enforced by the gateway; checked {random.randint(1, 10**6)}.",
                "addresses_all": "on",
            },
            name="save and submit",
        )

    @task(1)
    def upload_evidence(self):
        url = random.choice(self.me["answers"])
        page = self.client.get(url, name="answer page")
        if "Upload a file" not in page.text:
            return
        self._post(
            url + "evidence/upload",
            {
                "csrfmiddlewaretoken": CSRF.search(page.text)[1],
                "expected_version": VERSION.search(page.text)[1],
                "description": "Gateway access log excerpt",
            },
            files={"upload": ("gateway.log", EVIDENCE, "text/plain")},
            name="upload evidence",
        )


class Reviewer(Person):
    weight = 4
    role = "reviewers"

    @task(3)
    def approve_one(self):
        queue = self.client.get("/review/", name="review queue")
        links = ANSWER_LINK.findall(queue.text)
        if not links:
            return
        url = random.choice(links[:20])
        page = self.client.get(url, name="answer page (reviewer)")
        if "Approve version" not in page.text:
            return
        self._post(
            url + "approve",
            {
                "csrfmiddlewaretoken": CSRF.search(page.text)[1],
                "expected_version": VERSION.search(page.text)[1],
            },
            name="approve",
        )

    @task(1)
    def approve_in_bulk(self):
        queue = self.client.get("/review/", name="review queue")
        items = QUEUE_ITEM.findall(queue.text)[:5]
        if not items:
            return
        token = CSRF.search(queue.text)[1]
        self._post(
            "/review/approve",
            {"csrfmiddlewaretoken": token, "item": items},
            name="bulk approve: confirm page",
        )
        self._post(
            "/review/approve",
            {"csrfmiddlewaretoken": token, "item": items, "confirm": "yes"},
            name="bulk approve",
        )


class Lead(Person):
    weight = 2
    role = "leads"

    @task
    def copy_the_quarter(self):
        if not self.me["periods"]:
            return
        period = self.me["periods"].pop(0)
        url = f"/teams/{self.me['team']}/checklists/"
        page = self.client.get(url, name="checklists")
        self._post(
            url + "new",
            {
                "csrfmiddlewaretoken": CSRF.search(page.text)[1],
                "period": period,
                "providers": self.me["providers"],
                "asvs_level": "0",
                "copy_previous": "on",
            },
            name="copy a quarter",
        )


class Auditor(Person):
    weight = 2
    role = "auditors"
    wait_time = between(5, 10)

    @task
    def export_the_trail(self):
        page = self.client.get("/audit/", name="audit trail")
        self._post(
            "/audit/export.csv",
            {"csrfmiddlewaretoken": CSRF.search(page.text)[1]},
            name="audit export (CSV)",
        )
