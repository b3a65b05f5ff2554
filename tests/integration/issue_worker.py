"""Issue ``count`` invoices on one channel from a separate process (used by the concurrency
tests). Arguments: taxpayer id, channel id, count, a request-id prefix."""

from __future__ import annotations

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
django.setup()

from fapiao.invoicing.drafts import parse_draft  # noqa: E402
from fapiao.invoicing.models import Channel, Taxpayer  # noqa: E402
from fapiao.invoicing.services import invoice_issue  # noqa: E402

DRAFT = {
    "kind": "VAT_ORDINARY_ELECTRONIC",
    "buyer": {"name": "武汉某某有限公司"},
    "lines": [
        {
            "name": "软件开发服务",
            "tax_code": "3040201010000000000",
            "rate": "6%",
            "amount": "100.00",
        }
    ],
}


def _request_id(prefix: str, index: int) -> str | None:
    """``-``: none; ``=ID``: the same id every time; else ``prefix-index``."""
    if prefix == "-":
        return None
    return prefix[1:] if prefix.startswith("=") else f"{prefix}-{index}"


def main() -> None:
    taxpayer_id, channel_id, count, prefix = sys.argv[1:5]
    taxpayer = Taxpayer.objects.get(pk=int(taxpayer_id))
    channel = Channel.objects.get(pk=int(channel_id))
    for index in range(int(count)):
        invoice_issue(
            taxpayer=taxpayer,
            channel=channel,
            draft=parse_draft(DRAFT),
            request_id=_request_id(prefix, index),
            actor=prefix,
        )


if __name__ == "__main__":
    main()
