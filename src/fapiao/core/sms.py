"""The SMS port: ``FAPIAO_SMS_BACKEND`` names a class with ``send(mobile, text)``; a real
provider (阿里云短信, 腾讯云短信 …) is one more class. The default writes to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class FileSms:
    """Writes each message to ``var/sms.log`` (the default backend, for development)."""

    def send(self, mobile: str, text: str) -> None:
        path = Path(settings.VAR_DIR) / "sms.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{timezone.now().isoformat()}\t{mobile}\t{text}\n")


def sms_backend() -> Any:
    return import_string(settings.FAPIAO_SMS_BACKEND)()
