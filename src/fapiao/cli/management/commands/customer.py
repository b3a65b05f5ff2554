from __future__ import annotations

from typing import Any

from fapiao.cli.catalogs import CatalogCommand


class Command(CatalogCommand):
    help = "客户目录：list、add 名称=值…、delete ID、import 文件、export 文件（.csv/.xlsx）"
    catalog_name = "customers"

    def summary(self, item: Any) -> list[str]:
        return [item.tax_id, item.email]
