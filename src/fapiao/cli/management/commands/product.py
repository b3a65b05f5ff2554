from __future__ import annotations

from typing import Any

from fapiao.cli.catalogs import CatalogCommand
from fapiao.domain.rates import parse_rate


class Command(CatalogCommand):
    help = "商品目录：list、add 名称=值…、delete ID、import 文件、export 文件（.csv/.xlsx）"
    catalog_name = "products"

    def summary(self, item: Any) -> list[str]:
        return [item.spec, item.unit, parse_rate(item.rate).label, item.tax_code]
