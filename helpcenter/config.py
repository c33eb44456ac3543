"""Configuration read from HELPCENTER_* environment variables."""

import os
import secrets
from pathlib import Path
from typing import ClassVar

from helpcenter import vocabulary
from helpcenter.tickets import encryption

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    """Production defaults; every key can be overridden with HELPCENTER_<KEY>."""

    DATA_DIR = "instance"
    DATABASE_URL = ""
    SECRET_KEY = ""
    CONTENT_DIR = "content"
    LANGUAGES = vocabulary.LANGUAGES
    DEFAULT_LANGUAGE = vocabulary.DEFAULT_LANGUAGE
    BABEL_DEFAULT_LOCALE = vocabulary.DEFAULT_LANGUAGE
    BABEL_DEFAULT_TIMEZONE = "Asia/Baku"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # None: Secure outside debug mode (the development server speaks plain HTTP).
    SESSION_COOKIE_SECURE = None
    REMEMBER_COOKIE_SECURE = None
    WTF_CSRF_TIME_LIMIT = None
    # Redis shared by every host (rate limits, view counters); empty: none, single host.
    REDIS_URL = ""
    # memory:// counts per worker process; empty: REDIS_URL when set, else memory://.
    RATELIMIT_STORAGE_URI = ""
    RATELIMIT_ENABLED = True
    # Seconds to wait for the rate-limit Redis: when it is down, requests go through (fail open)
    # after at most this long.
    RATELIMIT_SOCKET_TIMEOUT = 0.2
    # Seconds to wait for a PostgreSQL connection before the request is answered with a 503.
    DATABASE_CONNECT_TIMEOUT = 3
    # PostgreSQL connections a web process keeps open: one per gunicorn thread
    # (deploy/gunicorn.conf.py), plus up to 4 more opened and closed again under a burst.
    DATABASE_POOL_SIZE = 12
    # While the database is unreachable: Retry-After of the 503 answers, and the memory for
    # the last good copy of each public page, served instead (0: serve none).
    OUTAGE_RETRY_AFTER_SECONDS = 30
    STALE_PAGE_CACHE_MB = 32
    VOTE_RATE_LIMIT = "30 per minute"
    # The contact form: posts per client address, and tickets filed per email address. Generous
    # per address: mobile carriers put many players behind one address.
    CONTACT_RATE_LIMIT = "30 per hour"
    CONTACT_EMAIL_RATE_LIMIT = "5 per hour"
    # "This solved my problem" answers per client address.
    DEFLECTION_RATE_LIMIT = "30 per minute"
    # Status lookups per client address and per reference number (guessing the email).
    STATUS_LOOKUP_RATE_LIMIT = "20 per 10 minutes"
    STATUS_REFERENCE_RATE_LIMIT = "10 per hour"
    # Replies, files, ratings and reopenings on status pages, per client address.
    STATUS_ACTION_RATE_LIMIT = "30 per 10 minutes"
    # Tickets filed through the API per key: an integration may file hundreds a minute.
    API_RATE_LIMIT = "1200 per minute"
    # How long a ticket filing's Idempotency-Key (or contact form token) replays its first
    # answer; older records are ignored and removed by the worker.
    IDEMPOTENCY_KEY_HOURS = 24
    # Casino sign-ins (/<lang>/sso) per client address: a token is short-lived and single-use,
    # so this only slows down someone trying tokens; carriers put many players behind one address.
    SSO_RATE_LIMIT = "120 per 10 minutes"
    # Ticket reads through the API per client address.
    API_READ_RATE_LIMIT = "300 per minute"
    # How often an open status page refreshes its timeline.
    STATUS_POLL_SECONDS = 30
    # Staff sign-in attempts per client address and per account.
    STAFF_LOGIN_RATE_LIMIT = "20 per 15 minutes"
    STAFF_LOGIN_EMAIL_RATE_LIMIT = "10 per 15 minutes"
    # Two-factor authentication (TOTP) of staff: "required" makes everyone who sees tickets set it
    # up at their next sign-in; "optional" (a single-person install) lets each choose.
    STAFF_2FA = "required"
    # Codes (TOTP or recovery) tried per account after the password; per client address the
    # sign-in limit above counts them too.
    STAFF_CODE_RATE_LIMIT = "10 per 15 minutes"
    # How often the staff queue refreshes itself.
    STAFF_POLL_SECONDS = 30
    # A staff session ends after this many minutes without activity (automatic refreshes do not
    # count), and this many hours after signing in whatever the activity.
    STAFF_IDLE_MINUTES = 30
    STAFF_SESSION_HOURS = 12
    # How long a password reset link sent by email works, and how many such emails one address
    # gets (asking counts against STAFF_LOGIN_RATE_LIMIT per client address too).
    STAFF_RESET_MINUTES = 30
    STAFF_RESET_EMAIL_RATE_LIMIT = "3 per hour"
    # argon2id cost of staff passwords: passes and memory (RFC 9106's low-memory profile).
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_KIB = 65536
    # Behind a reverse proxy: how many proxies set X-Forwarded-For (0: use the peer address).
    PROXY_FIX_X_FOR = 0
    # Email: SMTP when SMTP_HOST is set, else .eml files in <data dir>/outbox/.
    MAIL_FROM = "support@casino.example"  # the address; the name is the player's language's
    # The address players reach the help center at, for links in emails.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    SMTP_HOST = ""
    SMTP_PORT = 587
    SMTP_STARTTLS = True
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    # Where support.yml lives (channels, hours, topics, SLA targets); empty: the shipped one.
    SUPPORT_FILE = ""
    # The glossary the editors' workspace shows and checks drafts against (none if absent).
    GLOSSARY_FILE = str(PROJECT_ROOT / "content" / "glossary.yml")
    # Article views: with REDIS_URL counted in this Redis hash (and keys starting with it), which
    # `helpcenter worker` moves into the database; without Redis written straight to it.
    VIEW_COUNTER_KEY = "helpcenter:views"
    # `helpcenter worker`: SLA escalations this often; the outbox and the view counts this often.
    WORKER_SLA_SECONDS = 60.0
    WORKER_POLL_SECONDS = 2.0
    # Read models of the knowledge base are kept per process for this long.
    PAGE_CACHE_SECONDS = 3.0
    # Search answers kept per worker for the current index (0: none).
    SEARCH_CACHE_SIZE = 2048
    # How often each worker asks the database whether content changed since its host's search
    # index was built (one small query); a newer version is indexed in the background.
    SEARCH_SYNC_SECONDS = 2.0
    # The player's files one ticket may hold, and their megabytes, over every post (contact
    # form, status page, chat): room for a long case's screenshots and statements.
    TICKET_MAX_FILES = 20
    TICKET_MAX_MEGABYTES = 100
    # Files and megabytes a player may send a day (it ends at midnight in Baku), per email
    # address: two full tickets. Per client address more (five full tickets): mobile carriers
    # and internet cafés put many players behind one address.
    UPLOAD_DAILY_FILES_PER_EMAIL = 40
    UPLOAD_DAILY_MEGABYTES_PER_EMAIL = 200
    UPLOAD_DAILY_FILES_PER_ADDRESS = 100
    UPLOAD_DAILY_MEGABYTES_PER_ADDRESS = 500
    # The most attachments of the largest size, and 2 MB for the form around them.
    MAX_CONTENT_LENGTH = vocabulary.MAX_FILES * vocabulary.MAX_BYTES + 2 * 1024 * 1024
    # Where players' files are kept: "database" (rows of stored_file, shared by every host,
    # backed up with the database) or "directory" (files on this host, for single-host
    # installs). Reading looks in both, so an install can switch.
    FILE_STORAGE = "database"
    # The directory of "directory" storage; empty: <data dir>/uploads.
    FILE_STORAGE_DIR = ""
    # Keys that encrypt players' files at rest (both storages), comma-separated, each 32 bytes
    # in URL-safe base64 (`helpcenter files new-key`): the first for new files, all of them for
    # reading (see tickets/encryption.py). Empty: files are stored as they are.
    FILE_ENCRYPTION_KEYS = ""
    # Request bodies under /api/ (JSON, no files): larger ones are a 413.
    API_MAX_BODY_BYTES = 256 * 1024
    # Live chat: chats one operator may hold at once; how often the chat pages poll (seconds);
    # a waiting chat (bot or queue) whose player has not been seen for this long is ended as
    # abandoned by the worker; the longest chat message, in characters.
    CHAT_MAX_PER_OPERATOR = 3
    CHAT_POLL_SECONDS = 1.0
    CHAT_ABANDON_MINUTES = 10
    # Retention (the worker, daily): the player's files this many days after a ticket closed,
    # and the personal details (anonymized) after this many days (3 years).
    RETENTION_FILES_DAYS = 180
    RETENTION_PERSONAL_DAYS = 3 * 365
    CHAT_MESSAGE_MAX = 2000
    # Messages a player may send in one chat (the web page and the API alike).
    CHAT_MESSAGE_RATE_LIMIT = "20 per minute; 200 per hour"
    # Single sign-on from the casino (/<lang>/sso?jwt=...): the shared secret of HS256 tokens
    # (at least 32 characters) and/or a JWKS of the casino's public keys for RS256/ES256 tokens
    # (a file path or an https URL); the `iss` and `aud` the tokens must carry. Neither secret
    # nor JWKS: no sign-on (/<lang>/sso is a 404).
    SSO_SECRET = ""
    SSO_JWKS = ""
    SSO_ISSUER = ""
    SSO_AUDIENCE = ""


class TestConfig(Config):
    """Settings for the test suite: fresh data directory, immediate writes."""

    TESTING = True
    SESSION_COOKIE_SECURE = False
    # Cheap hashes: the suite creates and signs in accounts in many tests.
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 1024
    PAGE_CACHE_SECONDS = 0.0
    # Most tests sign staff in with a password alone; tests/staff/test_totp.py asks for it.
    STAFF_2FA = "optional"


def finalize(config: dict) -> None:
    """Derive the database URL and the secret key from the data directory."""
    data_dir = Path(config["DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config["DATA_DIR"] = str(data_dir)
    url = config.get("DATABASE_URL") or f"sqlite:///{data_dir / 'helpcenter.db'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("postgresql"):
        # An unreachable server must cost seconds, not a hung worker.
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", int(config["DATABASE_CONNECT_TIMEOUT"]))
        # A connection beyond pool_size is closed when it is given back, so a pool smaller
        # than the threads that use it connects again and again (PostgreSQL starts a process
        # for each: 13 a second under the chat benchmark with SQLAlchemy's 5).
        options.setdefault("pool_size", int(config["DATABASE_POOL_SIZE"]))
        options.setdefault("max_overflow", 4)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}
    if config.get("FILE_STORAGE") not in ("database", "directory"):
        raise ValueError("HELPCENTER_FILE_STORAGE must be 'database' or 'directory'")
    config["FILE_ENCRYPTION_KEYS"] = encryption.parse_keys(config.get("FILE_ENCRYPTION_KEYS"))
    if config.get("STAFF_2FA") not in ("required", "optional"):
        raise ValueError("HELPCENTER_STAFF_2FA must be 'required' or 'optional'")
    if config.get("SSO_SECRET") or config.get("SSO_JWKS"):
        if not config.get("SSO_ISSUER") or not config.get("SSO_AUDIENCE"):
            raise ValueError(
                "single sign-on needs HELPCENTER_SSO_ISSUER and HELPCENTER_SSO_AUDIENCE"
            )
        if config.get("SSO_SECRET") and len(config["SSO_SECRET"]) < 32:
            raise ValueError("HELPCENTER_SSO_SECRET must have at least 32 characters")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config.get(key) is None:
            config[key] = not config.get("DEBUG")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _stored_secret_key(data_dir / "secret_key")


def _stored_secret_key(path: Path) -> str:
    """Return the key kept in the data directory, creating it on first run.

    O_EXCL makes the first of several starting workers win; the others read its key.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
