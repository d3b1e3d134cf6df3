"""Notifications: the inbox page and API, and the e-mail outbox handed to SMTP."""

import re
import smtplib

import pytest
from sqlalchemy import select

from market.db import db
from notify.models import Notification, OutboxEmail
from notify.services import notify, send_outbox
from tests.conftest import csrf_token


@pytest.fixture
def people(make_user):
    alice = make_user("requester")
    alice.email = "alice@example.gov.cn"
    bob = make_user("officer")
    db.session.commit()
    return alice, bob


def test_notify_reaches_each_user_once_and_queues_mail_only_for_addresses(app, people):
    alice, bob = people
    notify([alice, bob, alice, None], "request.approved", "申请 #7 已通过", "数据已可下载。", "/requests/7")
    db.session.commit()
    assert [n.user_id for n in db.session.scalars(select(Notification).order_by(Notification.id))] == [alice.id, bob.id]
    (mail,) = db.session.scalars(select(OutboxEmail)).all()
    assert mail.to_addr == "alice@example.gov.cn" and mail.subject == "申请 #7 已通过"
    assert "http://127.0.0.1:5000/requests/7" in mail.body


def test_rolled_back_change_leaves_no_notification(app, people):
    alice, _ = people
    notify([alice], "x", "never")
    db.session.rollback()
    assert db.session.scalars(select(Notification)).all() == []


def test_inbox_page_badge_open_and_mark_all(client, login, people):
    alice, bob = people
    notify([alice], "request.approved", "申请 #7 已通过", link="/requests/7")
    notify([alice], "demand.answered", "需求已答复", link="https://evil.example/")
    notify([bob], "other", "别人的消息")
    db.session.commit()
    login(alice)
    html = client.get("/notifications").get_data(as_text=True)
    assert "申请 #7 已通过" in html and "需求已答复" in html and "别人的消息" not in html
    assert re.search(r'class="notify-link"[^>]*>消息 <span class="nav-badge count">2</span>', html)
    first, second = db.session.scalars(select(Notification).where(Notification.user_id == alice.id)
                                       .order_by(Notification.id)).all()
    token = csrf_token(client, "/notifications")
    resp = client.post(f"/notifications/{first.id}/open", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/requests/7")
    # an off-site link is never followed
    resp = client.post(f"/notifications/{second.id}/open", data={"csrf_token": token})
    assert resp.headers["Location"].endswith("/notifications")
    other = db.session.scalar(select(Notification).where(Notification.user_id == bob.id))
    assert client.post(f"/notifications/{other.id}/open", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/notifications/{first.id}/open").status_code == 400  # no CSRF token
    html = client.get("/notifications?unread=1").get_data(as_text=True)
    assert "没有未读消息" in html
    assert re.search(r'class="notify-link"[^>]*>消息</a>', html)  # no badge once everything is read


def test_api_lists_and_marks_read(client, api_token, people):
    alice, bob = people
    notify([alice], "a", "一")
    notify([alice], "b", "二")
    notify([bob], "c", "三")
    db.session.commit()
    headers = api_token(alice)
    body = client.get("/api/v1/notifications", headers=headers).get_json()
    assert body["total"] == 2 and body["unread"] == 2 and [i["subject"] for i in body["items"]] == ["二", "一"]
    bob_note = db.session.scalar(select(Notification).where(Notification.user_id == bob.id))
    resp = client.post("/api/v1/notifications/read", json={"ids": [body["items"][0]["id"], bob_note.id]},
                       headers=headers)
    assert resp.get_json() == {"changed": 1, "unread": 1}
    assert db.session.get(Notification, bob_note.id).read_at is None
    assert client.post("/api/v1/notifications/read", json={}, headers=headers).get_json()["unread"] == 0
    resp = client.post("/api/v1/notifications/read", json={"ids": ["x"]}, headers=headers)
    assert resp.status_code == 422 and "ids" in resp.get_json()["error"]["fields"]
    assert client.get("/api/v1/notifications").status_code == 401


class FakeSMTP:
    def __init__(self, fail_for=()):
        self.sent, self.fail_for, self.closed = [], set(fail_for), False

    def send_message(self, msg):
        if msg["To"] in self.fail_for:
            raise smtplib.SMTPRecipientsRefused({msg["To"]: (550, b"no such user")})
        self.sent.append(msg)

    def quit(self):
        self.closed = True


def test_outbox_waits_without_smtp_then_sends_and_retries_failures(app, people, make_user):
    alice, _ = people
    carol = make_user("requester")
    carol.email = "carol@example.gov.cn"
    notify([alice, carol], "request.approved", "申请已通过", "正文")
    db.session.commit()
    report = send_outbox()
    assert not report.configured and report.waiting == 2
    smtp = FakeSMTP(fail_for={"carol@example.gov.cn"})
    report = send_outbox(connect=lambda url: smtp)
    assert (report.sent, report.failed) == (1, 1) and smtp.closed
    assert [m["To"] for m in smtp.sent] == ["alice@example.gov.cn"] and smtp.sent[0]["Subject"] == "申请已通过"
    failed = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_addr == "carol@example.gov.cn"))
    assert failed.sent_at is None and failed.attempts == 1 and "550" in failed.last_error
    # backing off: the failed one is not due yet, and the sent one never goes twice
    again = FakeSMTP()
    assert send_outbox(connect=lambda url: again).sent == 0 and again.sent == []


def test_cli_send_without_smtp_says_mails_wait(runner, people):
    alice, _ = people
    notify([alice], "x", "主题")
    db.session.commit()
    from market.cli import cli

    result = runner.invoke(cli, ["notify", "send"])
    assert result.exit_code == 0 and "1 e-mail(s) wait" in result.output
