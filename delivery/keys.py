"""API keys (for enterprises and citizens using open data through the data API) and their per-key
quotas (calls per day) and rate limits (calls per minute), counted in the database so every worker
process shares one count."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from audit import record_event
from market.db import db, utcnow
from market.errors import NotFound, TooManyRequests, ValidationFailed

from .models import ApiKey, RateCounter

KEY_PREFIX = "pdm_"
DEFAULT_DAILY_QUOTA = 10_000
DEFAULT_PER_MINUTE = 60
MAX_KEYS_PER_USER = 10
# callers without a key (session or bearer, using a grant or open data) share these limits per user
USER_DAILY_QUOTA = 50_000
USER_PER_MINUTE = 120


class RateLimited(TooManyRequests):
    """429 with the seconds to wait (sent as ``Retry-After``)."""

    def __init__(self, message: str, *, retry_after: int, code: str = "rate_limited"):
        super().__init__(message, code=code, fields={"retry_after": [str(retry_after)]})
        self.retry_after = retry_after


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(user, name: str) -> tuple[ApiKey, str]:
    """A new key for ``user``; returns (key, secret). The secret is shown once and stored only hashed."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed(_("请填写 1–80 个字的密钥名称（例如用途或应用名）。"), fields={"name": ["1-80 characters"]})
    active = db.session.scalar(select(db.func.count()).select_from(ApiKey)
                               .where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))) or 0
    if active >= MAX_KEYS_PER_USER:
        raise ValidationFailed(_("每个账号最多 %(n)s 个有效密钥，请先吊销不用的密钥。", n=MAX_KEYS_PER_USER),
                               fields={"name": [f"at most {MAX_KEYS_PER_USER} active keys"]})
    secret = KEY_PREFIX + secrets.token_urlsafe(24)
    key = ApiKey(user_id=user.id, name=name, prefix=secret[:10], digest=_digest(secret),
                 daily_quota=DEFAULT_DAILY_QUOTA, per_minute=DEFAULT_PER_MINUTE)
    db.session.add(key)
    db.session.flush()
    record_event("delivery.api_key_created", "api_key", key.id, actor=user,
                 payload={"name": name, "prefix": key.prefix, "daily_quota": key.daily_quota,
                          "per_minute": key.per_minute})
    return key, secret


def revoke_key(user, key_id: int) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None or (key.user_id != user.id and not user.is_operator):
        raise NotFound(_("没有找到该密钥。"))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record_event("delivery.api_key_revoked", "api_key", key.id, actor=user, payload={"prefix": key.prefix})
    return key


def keys_of(user) -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id.desc())))


def key_for_secret(secret: str) -> ApiKey | None:
    if not secret or not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.digest == _digest(secret)))
    return key if key is not None and key.active else None


def _bump(subject: str, window: str, expires_at: datetime) -> int:
    """Add one call to the (subject, window) counter and return the new count; portable upsert."""
    stmt = (update(RateCounter).where(RateCounter.subject == subject, RateCounter.window == window)
            .values(count=RateCounter.count + 1).execution_options(synchronize_session=False))
    if not db.session.execute(stmt).rowcount:
        try:
            with db.session.begin_nested():
                db.session.add(RateCounter(subject=subject, window=window, count=1, expires_at=expires_at))
            return 1
        except IntegrityError:  # another process created it a moment ago
            db.session.execute(stmt)
    return db.session.scalar(select(RateCounter.count).where(RateCounter.subject == subject,
                                                             RateCounter.window == window)
                             .execution_options(populate_existing=True)) or 0


def usage_today(subject: str, now: datetime | None = None) -> int:
    now = now or utcnow()
    return db.session.scalar(select(RateCounter.count).where(RateCounter.subject == subject,
                                                             RateCounter.window == f"d:{now:%Y-%m-%d}")) or 0


def charge(subject: str, *, per_minute: int, per_day: int, now: datetime | None = None) -> None:
    """Count one call for ``subject``; raise RateLimited (429, Retry-After) when a limit is passed.

    A refused call is not counted (the error rolls the transaction back)."""
    now = now or utcnow()
    minute = now.replace(second=0, microsecond=0)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if _bump(subject, f"d:{now:%Y-%m-%d}", day + timedelta(days=2)) > per_day:
        wait = int((day + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(_("今日调用次数已用完（每日 %(n)s 次），请 %(s)s 秒后（次日 0 点，UTC）再试。", n=per_day, s=wait),
                          retry_after=wait, code="quota_exceeded")
    if _bump(subject, f"m:{int(minute.timestamp()) // 60}", minute + timedelta(minutes=5)) > per_minute:
        wait = max(1, int((minute + timedelta(minutes=1) - now).total_seconds()) + 1)
        raise RateLimited(_("调用过于频繁（每分钟最多 %(n)s 次），请 %(s)s 秒后再试。", n=per_minute, s=wait),
                          retry_after=wait)


def charge_key(key: ApiKey, now: datetime | None = None) -> None:
    charge(f"key:{key.id}", per_minute=key.per_minute, per_day=key.daily_quota, now=now)
    key.last_used_at = now or utcnow()


def charge_user(user, now: datetime | None = None) -> None:
    charge(f"user:{user.id}", per_minute=USER_PER_MINUTE, per_day=USER_DAILY_QUOTA, now=now)


def purge_counters(now: datetime | None = None) -> int:
    """Delete counters whose window has passed (run by ``market delivery purge-counters``)."""
    return db.session.execute(delete(RateCounter).where(RateCounter.expires_at < (now or utcnow()))).rowcount
