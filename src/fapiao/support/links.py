"""Which help article explains a refusal: every message a clerk can meet that needs more than
its own sentence, mapped to the article that says what to do (a page shows it as 查看帮助)."""

from __future__ import annotations

from typing import Any

from fapiao.closing.services import MONTHLY_FILER_MESSAGE, UNREACHABLE_MESSAGE
from fapiao.core.refusals import CSRF_MESSAGE
from fapiao.domain.channels import (
    CREDIT_MESSAGE,
    OFFLINE_AMOUNT_MESSAGE,
    OFFLINE_HOURS_MESSAGE,
    SINGLE_LIMIT_MESSAGE,
)
from fapiao.domain.closing import (
    ALREADY_CLEARED_MESSAGE,
    COMPARISON_FAILED_MESSAGE,
    MISSING_DECLARATION_MESSAGE,
    MISSING_REPORT_MESSAGE,
    PENDING_REVIEW_MESSAGE,
    UPLOADS_PENDING_MESSAGE,
)
from fapiao.domain.lifecycle import (
    RED_EXCEEDS_MESSAGE,
    VOID_KIND_MESSAGE,
    VOID_MONTH_MESSAGE,
    VOID_REPORTED_MESSAGE,
)
from fapiao.domain.periods import LOCKED_MESSAGE
from fapiao.domain.tax import INVOICE_TAX_TOLERANCE_MESSAGE
from fapiao.domain.verification import NOT_FOUND_MESSAGE, NOT_UPLOADED_MESSAGE, TOO_MANY_MESSAGE
from fapiao.invoicing.corrections import LAPSED_MESSAGE
from fapiao.security.services import LOCKED, WRONG
from fapiao.support.articles import article_published

#: a refusal's message (or the part of it that stays the same) → the slug of its article
HELP_FOR: dict[str, str] = {
    LOCKED: "account-locked",
    WRONG: "login-failed",
    LOCKED_MESSAGE: "lock-date",
    SINGLE_LIMIT_MESSAGE: "single-limit",
    INVOICE_TAX_TOLERANCE_MESSAGE: "single-limit",
    OFFLINE_AMOUNT_MESSAGE: "offline-limits",
    OFFLINE_HOURS_MESSAGE: "offline-limits",
    CREDIT_MESSAGE: "credit-line",
    VOID_KIND_MESSAGE: "void-rules",
    VOID_MONTH_MESSAGE: "void-rules",
    VOID_REPORTED_MESSAGE: "void-rules",
    RED_EXCEEDS_MESSAGE: "red-forms",
    LAPSED_MESSAGE: "red-forms",
    MISSING_REPORT_MESSAGE: "period-close",
    MISSING_DECLARATION_MESSAGE: "period-close",
    UPLOADS_PENDING_MESSAGE: "period-close",
    MONTHLY_FILER_MESSAGE: "period-close",
    COMPARISON_FAILED_MESSAGE: "clearing-rejected",
    ALREADY_CLEARED_MESSAGE: "clearing-rejected",
    PENDING_REVIEW_MESSAGE: "clearing-rejected",
    UNREACHABLE_MESSAGE: "clearing-interrupted",
    TOO_MANY_MESSAGE: "verify-limit",
    NOT_FOUND_MESSAGE: "verify-invoice",
    NOT_UPLOADED_MESSAGE: "verify-invoice",
    CSRF_MESSAGE: "page-expired",
}
#: a 清卡 the authority turned down (a status, not a refusal)
CLEARING_REJECTED = "clearing-rejected"


def help_slug(message: Any) -> str | None:
    """The article about ``message`` (a refusal in Chinese, as the services raise it)."""
    text = getattr(message, "message", message)
    if not isinstance(text, str) or not text:
        return None
    for known, slug in HELP_FOR.items():
        if known in text:
            return slug
    return None


def help_url(message: Any) -> str | None:
    """The address of the published article about ``message``, if there is one."""
    slug = help_slug(message)
    return f"/help/{slug}/" if slug and article_published(slug) else None


def help_links() -> dict[str, str]:
    """Every known refusal (as written) → the address of its published article, for a page
    whose script shows refusals it receives from the API."""
    return {known: f"/help/{slug}/" for known, slug in HELP_FOR.items() if article_published(slug)}
