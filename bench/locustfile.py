"""Locust scenario for bench/load_test.py: a mixed day at the data shop against `market serve`.

User classes (their counts are fixed by the runner through environment variables):
- Browser: anonymous pages — home, the product grid with filters, a search page, a product page;
- SearchApi: anonymous JSON searches (`GET /api/v1/datasets?q=…` with facets);
- Requester: a department user (its own account, load_rq_<n>) who fills the cart and checks out;
- Approver: a department data officer deciding what waits in their inbox (409 = someone else decided: fine);
- Downloader: downloads open data anonymously (and the grants its requester got at checkout);
- SearchPageOnly / HealthOnly: no think time, for the search-page vs bare health-check throughput ratio.

Every request is named by action so the report gives p50/p95/p99 per action.
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, between, constant, task

QUERIES = ["人口", "企业", "营业执照", "公交", "医院", "学校", "空气质量", "社保", "不动产", "婚姻",
           "养老", "税务", "道路", "环境", "就业", "食品", "药品", "住房", "公积金", "气象"]
OFFICERS = [u for u in os.environ.get("LOAD_OFFICERS", "").split(",") if u]
PASSWORD_RQ = os.environ.get("LOAD_REQUESTER_PASSWORD", "Load2026!rq")
PASSWORD_OF = os.environ.get("LOAD_OFFICER_PASSWORD", "Demo2026!of")
REQUESTABLE = json.loads(os.environ.get("LOAD_REQUESTABLE", "[]"))  # dataset ids that route to an officer
OPEN_IDS = json.loads(os.environ.get("LOAD_OPEN", "[]"))  # open entries with rows to download
DATASET_IDS = json.loads(os.environ.get("LOAD_DATASETS", "[]"))
CHECKOUT_LOG = os.environ.get("LOAD_CHECKOUT_LOG", "")
_requesters = itertools.count(1)
_officers = itertools.count(0)
THINK = between(float(os.environ.get("LOAD_THINK_MIN", "1")), float(os.environ.get("LOAD_THINK_MAX", "3")))


def _token(user, username: str, password: str) -> dict:
    with user.client.post("/api/v1/auth/token", json={"username": username, "password": password},
                          name="login (token)", catch_response=True) as resp:
        if resp.status_code != 201:
            resp.failure(f"login {username}: {resp.status_code} {resp.text[:200]}")
            return {}
        return {"Authorization": f"Bearer {resp.json()['token']}"}


class Browser(FastHttpUser):
    wait_time = THINK
    fixed_count = int(os.environ.get("LOAD_BROWSERS", "0"))

    @task(2)
    def home(self):
        self.client.get("/", name="page: home")

    @task(3)
    def browse(self):
        self.client.get(f"/datasets?share_attribute=conditional&page={random.randint(1, 5)}", name="page: browse")

    @task(4)
    def search_page(self):
        self.client.get(f"/datasets?q={random.choice(QUERIES)}", name="page: search")

    @task(3)
    def product(self):
        if DATASET_IDS:
            self.client.get(f"/datasets/{random.choice(DATASET_IDS)}", name="page: product")


class SearchApi(FastHttpUser):
    wait_time = THINK
    fixed_count = int(os.environ.get("LOAD_SEARCH_API", "0"))

    @task
    def search(self):
        q = random.choice(QUERIES)
        self.client.get(f"/api/v1/datasets?q={q}&per_page=20", name="api: search")


class Requester(FastHttpUser):
    wait_time = THINK
    fixed_count = int(os.environ.get("LOAD_REQUESTERS", "0"))

    def on_start(self):
        self.username = f"load_rq_{next(_requesters):02d}"
        self.headers = _token(self, self.username, PASSWORD_RQ)
        self.in_cart = 0

    @task(3)
    def add_to_cart(self):
        if not self.headers or not REQUESTABLE:
            return
        with self.client.post("/api/v1/cart/items", json={"dataset_id": random.choice(REQUESTABLE)},
                              headers=self.headers, name="api: add to cart", catch_response=True) as resp:
            if resp.status_code in (200, 201):
                self.in_cart += 1
            else:
                resp.failure(f"{resp.status_code} {resp.text[:200]}")

    @task(1)
    def checkout(self):
        if not self.headers or not self.in_cart:
            return
        with self.client.post("/api/v1/requests", json={"purpose": "负载测试：部门业务办理需要核验数据", "period_days": 90},
                              headers=self.headers, name="api: checkout", catch_response=True) as resp:
            if resp.status_code == 201:
                self.in_cart = 0
                if CHECKOUT_LOG:
                    with open(CHECKOUT_LOG, "a") as fh:  # the runner checks each one is in the database once
                        fh.write(f"{resp.json()['id']}\n")
                self.client.get(f"/api/v1/requests/{resp.json()['id']}", headers=self.headers,
                                name="api: request detail")
            else:
                resp.failure(f"{resp.status_code} {resp.text[:200]}")

    @task(1)
    def my_grants(self):
        if self.headers:
            self.client.get("/api/v1/grants", headers=self.headers, name="api: my grants")


class Approver(FastHttpUser):
    wait_time = THINK
    fixed_count = int(os.environ.get("LOAD_APPROVERS", "0"))

    def on_start(self):
        self.username = OFFICERS[next(_officers) % len(OFFICERS)] if OFFICERS else ""
        self.headers = _token(self, self.username, PASSWORD_OF) if self.username else {}

    @task
    def decide(self):
        if not self.headers:
            return
        resp = self.client.get("/api/v1/approvals", headers=self.headers, name="api: approvals inbox")
        try:
            waiting = resp.json().get("items", [])
        except (ValueError, AttributeError):
            return
        for line in waiting[:3]:
            url = f"/api/v1/requests/{line['request_id']}/lines/{line['id']}/decision"
            with self.client.post(url, json={"decision": "approve", "comment": "同意（负载测试）"},
                                  headers=self.headers, name="api: decision", catch_response=True) as r:
                if r.status_code in (200, 409):  # 409: decided by someone else meanwhile — the correct answer
                    r.success()
                else:
                    r.failure(f"{r.status_code} {r.text[:200]}")


class Downloader(FastHttpUser):
    wait_time = THINK
    fixed_count = int(os.environ.get("LOAD_DOWNLOADERS", "0"))

    @task
    def download_open(self):
        if OPEN_IDS:
            self.client.get(f"/api/v1/datasets/{random.choice(OPEN_IDS)}/download?format=csv",
                            name="api: open data download")
        elif DATASET_IDS:
            self.client.get(f"/datasets/{random.choice(DATASET_IDS)}", name="page: product")


class SearchPageOnly(FastHttpUser):
    wait_time = constant(0)
    fixed_count = int(os.environ.get("LOAD_SEARCH_ONLY", "0"))

    @task
    def search_page(self):
        self.client.get(f"/datasets?q={random.choice(QUERIES)}", name="page: search")


class HealthOnly(FastHttpUser):
    wait_time = constant(0)
    fixed_count = int(os.environ.get("LOAD_HEALTH_ONLY", "0"))

    @task
    def health(self):
        self.client.get("/healthz", name="healthz")
