"""``fapiao customer`` and ``fapiao product``: one command shape for both catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand, key_values, table
from fapiao.invoicing.catalog import catalog, catalog_delete, catalog_save
from fapiao.invoicing.catalog_files import ImportRefused, catalog_export, catalog_import


class CatalogCommand(FapiaoCommand):
    catalog_name = ""

    def arguments(self, parser: CommandParser) -> None:
        def add(sub: CommandParser) -> None:
            sub.add_argument("fields", nargs="+", help="名称=值，如 name=某公司 tax_id=…")

        def import_(sub: CommandParser) -> None:
            sub.add_argument("file", help=".csv 或 .xlsx")

        def export(sub: CommandParser) -> None:
            sub.add_argument("file", help=".csv 或 .xlsx")

        def delete(sub: CommandParser) -> None:
            sub.add_argument("id", type=int)

        self.subcommands(
            parser,
            list=lambda sub: None,
            add=add,
            delete=delete,
            export=export,
            **{"import": import_},
        )

    def run(self, **options: Any) -> tuple[Any, str]:
        book = catalog(self.catalog_name)
        taxpayer = self.taxpayer(options)
        actor = self.actor(options)
        action = options["action"]
        if action == "add":
            item = catalog_save(
                taxpayer=taxpayer,
                name=book.name,
                data=key_values(options["fields"]),
                actor=actor,
            )
            return self.as_dict(item), f"已保存{book.label}：{item}（编号{item.pk}）"
        if action == "delete":
            catalog_delete(taxpayer=taxpayer, name=book.name, pk=options["id"], actor=actor)
            return {"deleted": options["id"]}, f"已删除{book.label}{options['id']}"
        if action == "import":
            path = Path(options["file"])
            try:
                report = catalog_import(
                    taxpayer=taxpayer,
                    name=book.name,
                    content=path.read_bytes(),
                    filename=path.name,
                    actor=actor,
                    progress=None if options["as_json"] else self._progress,
                )
            except ImportRefused as refused:
                for error in refused.errors:
                    self.stderr.write(f"第{error.row}行 {error.field}：{error.message}")
                raise
            data = {"created": report.created, "updated": report.updated}
            return data, f"导入完成：新增{report.created}条，更新{report.updated}条"
        if action == "export":
            path = Path(options["file"])
            fmt = path.suffix.lstrip(".").lower()
            path.write_bytes(catalog_export(taxpayer=taxpayer, name=book.name, format=fmt))
            return {"file": str(path)}, f"已导出到 {path}"
        items = list(book.model.objects.filter(taxpayer=taxpayer))  # type: ignore[attr-defined]
        rows = [[str(item.pk), str(item), *(self.summary(item))] for item in items]
        return [self.as_dict(item) for item in items], table(rows)

    def _progress(self, done: int, total: int) -> None:
        """On standard error, as rows are checked, then when they are being written."""
        if total:
            self.stderr.write(f"已校验{done}行，正在写入……")
        else:
            self.stderr.write(f"已校验{done}行……")

    def as_dict(self, item: Any) -> dict[str, Any]:
        book = catalog(self.catalog_name)
        data = {"id": item.pk}
        for column in book.columns:
            value = getattr(item, column)
            data[column] = value if isinstance(value, bool) or value is None else str(value)
        return data

    def summary(self, item: Any) -> list[str]:
        return []
