"""Refusals in the reader's language.

The domain and the services refuse in Chinese; a message made from a template
(:class:`~fapiao.domain.errors.Text`) remembers it, so a page in another language translates
the template and fills it with its arguments, each translated too. Everything else is
translated whole, and what has no translation stays as it was written.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from fapiao.domain.errors import Text

#: a write whose CSRF token is missing or stale (a page left open past its session, a forged
#: form): the pages and the API say the same
CSRF_MESSAGE = "页面已过期或来源无法确认（CSRF 校验未通过），请刷新页面后重试"


def say(message: Any) -> str:
    """``message`` in the active language."""
    if not isinstance(message, str):
        return "" if message is None else str(message)
    if (translation.get_language() or "").startswith("zh") or not message:
        return str(message)
    if isinstance(message, Text):
        args = [say(arg) if isinstance(arg, str) else arg for arg in message.args]
        return gettext(message.template).format(*args)
    return gettext(message)
