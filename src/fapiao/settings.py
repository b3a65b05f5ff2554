"""Django settings, read from the environment.

FAPIAO_DATABASE_URL  database URL (default: SQLite file var/fapiao.sqlite3)
FAPIAO_SECRET_KEY    secret key (default: generated once into var/secret_key)
FAPIAO_VAR_DIR       where local state lives (default: ./var)
FAPIAO_DEBUG         1 to run with DEBUG
FAPIAO_ALLOWED_HOSTS comma-separated host names (default: localhost,127.0.0.1)
FAPIAO_AUTHORITY_URL the authority (税务机关) as a separate service, e.g. http://127.0.0.1:8100
                     (default: empty, the authority runs in this process)
FAPIAO_AUTHORITY_TOKEN the secret the taxpayer side presents to that service (both sides set it)
FAPIAO_2FA_REQUIRED  1: 管理员 and 税务机关 must sign in with an authenticator app (TOTP)
FAPIAO_SSO_URL, FAPIAO_SSO_CLIENT_ID, FAPIAO_SSO_SECRET, FAPIAO_SSO_NAME, FAPIAO_SSO_SIGNUP
                     an OpenID Connect provider (the enterprise's own 统一身份认证): its issuer
                     URL, the client registered there, the button's name, 1 to let a new
                     identity make its own account
FAPIAO_WEIXIN_CLIENT_ID, FAPIAO_WEIXIN_SECRET, FAPIAO_WEIXIN_SIGNUP (and DINGTALK_, FEISHU_)
                     微信, 钉钉 and 飞书 sign-in; each provider is off until its client is set
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("FAPIAO_VAR_DIR", Path.cwd() / "var")).resolve()


def _secret_key() -> str:
    key = os.environ.get("FAPIAO_SECRET_KEY", "").strip()
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("FAPIAO_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("FAPIAO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "fapiao.jobs",
    "fapiao.authority",
    "fapiao.closing",
    "fapiao.reports",
    "fapiao.backups",
    "fapiao.archiving",
    "fapiao.support",
    "fapiao.notices",
    "fapiao.risk",
    "fapiao.batches",
    "fapiao.approvals",
    "fapiao.orders",
    "fapiao.receiving",
    "fapiao.invoicing",
    "fapiao.documents",
    "fapiao.api",
    "fapiao.security",
    "fapiao.web",
    "fapiao.cli",
    "ninja",
    "django_tables2",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.weixin",
    "allauth.socialaccount.providers.dingtalk",
    "allauth.socialaccount.providers.feishu",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "fapiao.web.middleware.ClientMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "fapiao.web.middleware.LanguageMiddleware",
    # a 管理员 or 税务机关 who must use two-factor and has not set it up yet goes to do so
    "fapiao.web.middleware.TwoFactorMiddleware",
    # a third-party sign-in whose provider cannot be reached: a page, not a traceback
    "fapiao.web.social.ProviderDownMiddleware",
    # after the user and the language are known, so that a refusal is a page in the layout
    # in the user's language; neither reads the body before the size is checked
    "fapiao.web.middleware.RequestSizeMiddleware",
    "fapiao.web.middleware.RejectNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fapiao.urls"
WSGI_APPLICATION = "fapiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fapiao.web.context.navigation",
            ],
            "builtins": ["fapiao.web.templatetags.webtags"],
        },
    },
]

_DEFAULT_DB = f"sqlite:///{VAR_DIR / 'fapiao.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("FAPIAO_DATABASE_URL", "").strip() or _DEFAULT_DB, conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # a file, so that tests can run several processes against the same test database
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # IMMEDIATE: a writing transaction takes the lock at BEGIN, so concurrent issuers queue
    # instead of failing on lock upgrade; WAL lets readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # FULL: a committed invoice survives a power cut (NORMAL could lose the last ones and
        # hand their numbers out again)
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
else:
    # prepared statements for the queries issuing repeats (psycopg prepares after 5 uses)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "fapiao.security.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fapiao.security.validators.CharacterClassesValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True  # serve the apps' static files without collectstatic
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "fapiao.web.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

(VAR_DIR / "log").mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # a command's own faults, with their tracebacks, kept out of the caller's terminal
        "errors": {
            "class": "logging.FileHandler",
            "filename": str(VAR_DIR / "log" / "errors.log"),
            "delay": True,
            "encoding": "utf-8",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("FAPIAO_LOG_LEVEL", "INFO")},
    "loggers": {
        # the task engine says a line per task queued and run: only when asked
        "django-q": {"level": os.environ.get("FAPIAO_TASK_LOG_LEVEL", "WARNING")},
        "fapiao.cli": {"handlers": ["errors"], "propagate": False},
    },
}

# --- delivery -------------------------------------------------------------------------------
# E-mail goes to the console unless FAPIAO_SMTP_HOST names a server.
FAPIAO_SITE_URL = os.environ.get("FAPIAO_SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("FAPIAO_EMAIL_FROM", "fapiao@localhost")
if os.environ.get("FAPIAO_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["FAPIAO_SMTP_HOST"]
    EMAIL_PORT = int(os.environ.get("FAPIAO_SMTP_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("FAPIAO_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("FAPIAO_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("FAPIAO_SMTP_TLS", "") == "1"
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
FAPIAO_SMS_BACKEND = os.environ.get("FAPIAO_SMS_BACKEND", "fapiao.core.sms.FileSms")

# The authority side: embedded unless FAPIAO_AUTHORITY_URL names a separate service.
FAPIAO_AUTHORITY_URL = os.environ.get("FAPIAO_AUTHORITY_URL", "").strip()
FAPIAO_AUTHORITY_TOKEN = os.environ.get("FAPIAO_AUTHORITY_TOKEN", "").strip()
# 查验 that find nothing, per client address and hour, before the client is refused
FAPIAO_VERIFY_MISSES_PER_HOUR = int(os.environ.get("FAPIAO_VERIFY_MISSES_PER_HOUR", "30"))
# more holidays or published 征期 deadlines, merged with the calendar that ships
FAPIAO_HOLIDAYS_FILE = os.environ.get("FAPIAO_HOLIDAYS_FILE", "").strip()
# invoices per upload request of the outbox worker
FAPIAO_UPLOAD_BATCH = int(os.environ.get("FAPIAO_UPLOAD_BATCH", "500"))
# the largest request body (an uploaded file included), and the largest invoice file read
FAPIAO_REQUEST_MAX_BYTES = int(os.environ.get("FAPIAO_REQUEST_MAX_BYTES", str(64 * 2**20)))
FAPIAO_FILE_MAX_BYTES = int(os.environ.get("FAPIAO_FILE_MAX_BYTES", str(10 * 2**20)))
# a mailbox whose invoices the worker receives (imap://user:password@host:port/folder or
# imaps://…), for the taxpayer of this tax id (or the only one)
FAPIAO_MAILBOX_URL = os.environ.get("FAPIAO_MAILBOX_URL", "").strip()
FAPIAO_MAILBOX_TAXPAYER = os.environ.get("FAPIAO_MAILBOX_TAXPAYER", "").strip()
# 数电 numbers asked of the authority at a time; the worker asks for more once a channel has
# fewer than a fifth of a block left, so issuing goes on while the authority is unreachable
FAPIAO_DIGITAL_BLOCK = int(os.environ.get("FAPIAO_DIGITAL_BLOCK", "1000"))

# --- background work ------------------------------------------------------------------------
# The task engine (django-q2): its queue is our own database unless FAPIAO_TASK_BROKER names a
# Redis server (redis://host:6379/0) for several worker machines. A task runs at most
# FAPIAO_TASK_TIMEOUT seconds; an unacknowledged one is delivered again a minute after that.
_TASK_TIMEOUT = int(os.environ.get("FAPIAO_TASK_TIMEOUT", "900"))
Q_CLUSTER: dict[str, object] = {
    "name": "fapiao",
    "workers": int(os.environ.get("FAPIAO_WORKERS", "2")),
    "timeout": _TASK_TIMEOUT,
    "retry": _TASK_TIMEOUT + 60,
    "max_attempts": 0,  # the job row counts attempts and backs off (fapiao.jobs.services)
    "ack_failures": True,  # a failure is kept among the engine's failures, not run again
    "save_limit": -1,  # successes are on the job rows; the engine keeps its failures
    "catch_up": False,
    "poll": 0.5,
    "bulk": 5,
    "label": "后台任务",
}
_BROKER = os.environ.get("FAPIAO_TASK_BROKER", "").strip()
if _BROKER.startswith(("redis://", "rediss://")):
    Q_CLUSTER["redis"] = _BROKER
else:
    Q_CLUSTER["orm"] = "default"

LOGIN_URL = "/accounts/login/"

# --- sign-in: two-factor and third-party providers ------------------------------------------
FAPIAO_2FA_REQUIRED = os.environ.get("FAPIAO_2FA_REQUIRED", "") == "1"
OTP_TOTP_ISSUER = "Fapiao"
# third-party sign-in goes through allauth's social accounts; the sign-in itself, the lockout,
# the audit and the second factor stay ours (fapiao.web.social.SocialAdapter)
SOCIALACCOUNT_ADAPTER = "fapiao.web.social.SocialAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never sign in by matching an e-mail address
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
ACCOUNT_EMAIL_VERIFICATION = "none"


def _social_providers() -> dict[str, dict[str, object]]:
    """The providers whose clients the environment names; none by default. More can be added
    as 社交应用 in the admin (their settings' ``signup`` lets new identities make accounts)."""
    # PKCE for every OpenID Connect provider, those added in the admin too
    providers: dict[str, dict[str, object]] = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
    env = os.environ.get
    if env("FAPIAO_SSO_URL") and env("FAPIAO_SSO_CLIENT_ID"):
        providers["openid_connect"] = {"OAUTH_PKCE_ENABLED": True, "APPS": [{
            "provider_id": "sso", "name": env("FAPIAO_SSO_NAME", "企业统一身份认证"),
            "client_id": env("FAPIAO_SSO_CLIENT_ID"), "secret": env("FAPIAO_SSO_SECRET", ""),
            "settings": {"server_url": env("FAPIAO_SSO_URL"),
                         "signup": env("FAPIAO_SSO_SIGNUP", "") == "1"},
        }]}  # fmt: skip
    for prefix, provider in (("WEIXIN", "weixin"), ("DINGTALK", "dingtalk"), ("FEISHU", "feishu")):
        if env(f"FAPIAO_{prefix}_CLIENT_ID"):
            providers[provider] = {"APPS": [{
                "client_id": env(f"FAPIAO_{prefix}_CLIENT_ID"),
                "secret": env(f"FAPIAO_{prefix}_SECRET", ""),
                "settings": {"signup": env(f"FAPIAO_{prefix}_SIGNUP", "") == "1"},
            }]}  # fmt: skip
    return providers


SOCIALACCOUNT_PROVIDERS = _social_providers()

# --- backups --------------------------------------------------------------------------------
# FAPIAO_BACKUP_RECIPIENTS (age public keys), FAPIAO_BACKUP_DIRS and FAPIAO_BACKUP_IDENTITY_FILE
# are read by fapiao.backups.services when a backup is made
FAPIAO_BACKUP_HOUR = int(os.environ.get("FAPIAO_BACKUP_HOUR", "2"))
FAPIAO_BACKUP_KEEP = os.environ.get("FAPIAO_BACKUP_KEEP", "7,4,12")  # daily, weekly, monthly
# 归档: where the packages go and how long they are kept (years after the end of their year;
# never under the 5 years of 《发票管理办法》; 30 as accounting vouchers, 《会计档案管理办法》)
FAPIAO_ARCHIVE_DIR = os.environ.get("FAPIAO_ARCHIVE_DIR", "").strip()
FAPIAO_ARCHIVE_YEARS = int(os.environ.get("FAPIAO_ARCHIVE_YEARS", "30"))
LOGIN_REDIRECT_URL = "/"
