"""Typed configuration read from ``MARKET_*`` environment variables.

Every key is declared once here with its type, default and meaning (the CKAN habit), validated at
start-up; a bad value stops the app with a message naming the variable and the problem.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(Exception):
    """A ``MARKET_*`` variable is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Option:
    env: str
    doc: str
    default: object = None


def _int(name: str, raw: str, lo: int, hi: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value} must be between {lo} and {hi}")
    return value


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


@dataclass
class Settings:
    data_dir: Path = field(metadata={"env": "MARKET_DATA_DIR", "doc": "folder for the embedded defaults"})
    database_url: str = field(metadata={"env": "MARKET_DATABASE_URL", "doc": "SQLAlchemy URL"})
    search_url: str = field(metadata={"env": "MARKET_SEARCH_URL", "doc": "'' = embedded index; http(s)://… = OpenSearch/Elasticsearch"})
    search_index: str = field(metadata={"env": "MARKET_SEARCH_INDEX", "doc": "index (alias) name on the search cluster"})
    secret_key: str = field(metadata={"env": "MARKET_SECRET_KEY", "doc": "session and token signing"})
    argon2_time_cost: int = field(metadata={"env": "MARKET_ARGON2_TIME_COST", "doc": "argon2 passes (tests use 1)"})
    argon2_memory_cost: int = field(metadata={"env": "MARKET_ARGON2_MEMORY_COST", "doc": "argon2 memory in KiB"})
    login_max_failures: int = field(metadata={"env": "MARKET_LOGIN_MAX_FAILURES", "doc": "failed logins per user+address per window before 429"})
    login_window_seconds: int = field(metadata={"env": "MARKET_LOGIN_WINDOW_SECONDS", "doc": "login throttling window"})
    token_ttl_days: int = field(metadata={"env": "MARKET_TOKEN_TTL_DAYS", "doc": "API token lifetime in days"})
    max_upload_mb: int = field(metadata={"env": "MARKET_MAX_UPLOAD_MB", "doc": "largest accepted request body in MB"})
    secure_cookies: bool = field(metadata={"env": "MARKET_SECURE_COOKIES", "doc": "send cookies over HTTPS only"})
    stripe_api_key: str = field(metadata={"env": "MARKET_STRIPE_API_KEY", "doc": "unset = paid products disabled"})
    stripe_api_base: str = field(metadata={"env": "MARKET_STRIPE_API_BASE", "doc": "Stripe API base URL"})
    stripe_webhook_secret: str = field(metadata={"env": "MARKET_STRIPE_WEBHOOK_SECRET", "doc": "Stripe webhook signing secret"})
    queue_url: str = field(default="", metadata={"env": "MARKET_QUEUE_URL", "doc": "'' = embedded job queue (SQLite file in MARKET_DATA_DIR); redis://host:6379/0 = Redis"})
    smtp_url: str = field(default="", metadata={"env": "MARKET_SMTP_URL", "doc": "'' = e-mails stay in the outbox; smtp://user:pass@host:587 (STARTTLS) or smtps://…:465"})
    mail_from: str = field(default="noreply@data.example.gov.cn", metadata={"env": "MARKET_MAIL_FROM", "doc": "sender address of notification e-mails"})
    page_cache_seconds: int = field(default=30, metadata={"env": "MARKET_PAGE_CACHE_SECONDS", "doc": "how long anonymous visitors' pages are cached (0 = off); a catalog change clears the cache at once"})
    base_url: str = field(default="http://127.0.0.1:5000", metadata={"env": "MARKET_BASE_URL", "doc": "public address of the site, for links in e-mails"})

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read and validate every ``MARKET_*`` variable; raise ConfigError naming the first bad one."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("MARKET_DATA_DIR") or "./instance").resolve()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"MARKET_DATA_DIR={data_dir}: cannot create the folder ({exc.strerror})") from None
        if not os.access(data_dir, os.W_OK):
            raise ConfigError(f"MARKET_DATA_DIR={data_dir}: the folder is not writable")

        database_url = env.get("MARKET_DATABASE_URL") or f"sqlite:///{data_dir / 'market.db'}"
        scheme = urlparse(database_url).scheme.split("+")[0]
        if scheme not in {"sqlite", "postgresql"}:
            raise ConfigError(
                f"MARKET_DATABASE_URL: unsupported database {scheme or database_url!r}; "
                "use sqlite:///path or postgresql+psycopg://user@host/db"
            )

        search_url = env.get("MARKET_SEARCH_URL", "").strip()
        if search_url and urlparse(search_url).scheme not in {"http", "https"}:
            raise ConfigError(f"MARKET_SEARCH_URL={search_url!r} must start with http:// or https:// (or be empty)")

        secret_key = env.get("MARKET_SECRET_KEY") or _stored_secret(data_dir)
        if len(secret_key) < 16:
            raise ConfigError("MARKET_SECRET_KEY is too short: use at least 16 characters")

        stripe_base = env.get("MARKET_STRIPE_API_BASE", "")
        if stripe_base and urlparse(stripe_base).scheme not in {"http", "https"}:
            raise ConfigError(f"MARKET_STRIPE_API_BASE={stripe_base!r} must be an http(s) URL")

        queue_url = env.get("MARKET_QUEUE_URL", "").strip()
        if queue_url and urlparse(queue_url).scheme not in {"redis", "rediss"}:
            raise ConfigError(f"MARKET_QUEUE_URL={queue_url!r} must start with redis:// (or be empty for the embedded queue)")
        smtp_url = env.get("MARKET_SMTP_URL", "").strip()
        if smtp_url and (urlparse(smtp_url).scheme not in {"smtp", "smtps"} or not urlparse(smtp_url).hostname):
            raise ConfigError(f"MARKET_SMTP_URL: {smtp_url.split('@')[-1]!r} must look like smtp://user:pass@host:587 or smtps://host:465")
        base_url = (env.get("MARKET_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
        if urlparse(base_url).scheme not in {"http", "https"}:
            raise ConfigError(f"MARKET_BASE_URL={base_url!r} must be an http(s) URL")

        return cls(
            data_dir=data_dir,
            database_url=database_url,
            search_url=search_url,
            search_index=env.get("MARKET_SEARCH_INDEX") or "market-datasets",
            secret_key=secret_key,
            argon2_time_cost=_int("MARKET_ARGON2_TIME_COST", env.get("MARKET_ARGON2_TIME_COST", "3"), 1, 20),
            argon2_memory_cost=_int("MARKET_ARGON2_MEMORY_COST", env.get("MARKET_ARGON2_MEMORY_COST", "65536"), 64, 1 << 21),
            login_max_failures=_int("MARKET_LOGIN_MAX_FAILURES", env.get("MARKET_LOGIN_MAX_FAILURES", "5"), 1, 1000),
            login_window_seconds=_int("MARKET_LOGIN_WINDOW_SECONDS", env.get("MARKET_LOGIN_WINDOW_SECONDS", "900"), 1, 86400),
            token_ttl_days=_int("MARKET_TOKEN_TTL_DAYS", env.get("MARKET_TOKEN_TTL_DAYS", "30"), 1, 3650),
            max_upload_mb=_int("MARKET_MAX_UPLOAD_MB", env.get("MARKET_MAX_UPLOAD_MB", "64"), 1, 10240),
            secure_cookies=_bool("MARKET_SECURE_COOKIES", env.get("MARKET_SECURE_COOKIES", "0")),
            stripe_api_key=env.get("MARKET_STRIPE_API_KEY", ""),
            stripe_api_base=stripe_base,
            stripe_webhook_secret=env.get("MARKET_STRIPE_WEBHOOK_SECRET", ""),
            queue_url=queue_url,
            smtp_url=smtp_url,
            mail_from=env.get("MARKET_MAIL_FROM") or "noreply@data.example.gov.cn",
            base_url=base_url,
            page_cache_seconds=_int("MARKET_PAGE_CACHE_SECONDS", env.get("MARKET_PAGE_CACHE_SECONDS", "30"), 0, 3600),
        )

    @classmethod
    def describe(cls) -> list[tuple[str, str]]:
        """(variable, meaning) for every option, for the README and ``market config``."""
        return [(f.metadata["env"], f.metadata["doc"]) for f in fields(cls)]

    def flask_config(self) -> dict[str, object]:
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "MAX_CONTENT_LENGTH": self.max_upload_mb * 1024 * 1024,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "WTF_CSRF_TIME_LIMIT": None,
            "BABEL_DEFAULT_LOCALE": "zh",
            "PAGE_CACHE_SECONDS": self.page_cache_seconds,
            "MARKET": self,
        }


def _stored_secret(data_dir: Path) -> str:
    """Generate the secret once into the data folder so restarts keep sessions valid."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
