from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fapiao.api.v1 import api

COMMITTED = Path(__file__).resolve().parents[5] / "docs" / "openapi.json"


def schema_text() -> str:
    plain = json.loads(json.dumps(api.get_openapi_schema()))  # status codes become strings
    return json.dumps(plain, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "写出 OpenAPI 文档（docs/openapi.json）；--check 只比较，不一致时退出码 1"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true")
        parser.add_argument("--out", default=str(COMMITTED))

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["out"])
        text = schema_text()
        if options["check"]:
            if not path.is_file() or path.read_text("utf-8") != text:
                raise CommandError(f"{path} 与代码不一致：运行 make openapi 更新", returncode=1)
            self.stdout.write(f"{path} 与代码一致")
            return
        path.write_text(text, "utf-8")
        self.stdout.write(f"已写出 {path}")
