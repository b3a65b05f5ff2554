"""Catalogs, channels and the caller's identity."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Router
from ninja import Status as Reply

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import CatalogItem
from fapiao.core.clock import local_date
from fapiao.core.roles import ISSUE, READ
from fapiao.invoicing.catalog import CATALOGS, catalog, catalog_delete, catalog_save
from fapiao.invoicing.catalog import catalog_items as items_of
from fapiao.invoicing.selectors import (
    NotFound,
    channel_as_dict,
)

router = Router()


# --- catalogs and channels ----------------------------------------------------------------


def _catalog_dict(name: str, item: Any) -> dict[str, Any]:
    book = catalog(name)
    return {
        "id": item.pk,
        "data": {
            column: value if isinstance(value := getattr(item, column), bool) or value is None
            else str(value)
            for column in book.columns
        },
    }  # fmt: skip


def _catalog_name(name: str) -> str:
    if name not in CATALOGS:
        raise NotFound("目录应为 customers 或 products", field="catalog")
    return name


@router.get("/catalogs/{name}", response=list[CatalogItem], tags=["目录"], summary="客户或商品目录")
def catalog_items(request: HttpRequest, name: str) -> list[dict[str, Any]]:
    me = caller(request)
    me.need(READ)
    items = items_of(taxpayer=me.taxpayer, name=_catalog_name(name))
    return [_catalog_dict(name, item) for item in items]


@router.post("/catalogs/{name}", response={201: CatalogItem}, tags=["目录"], summary="新增或更新")
def catalog_put(request: HttpRequest, name: str, payload: Body[dict[str, Any]]) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    item = catalog_save(taxpayer=me.taxpayer, name=_catalog_name(name), data=payload,
                        actor=me.actor)  # fmt: skip
    return Reply(201, _catalog_dict(name, item))


@router.delete("/catalogs/{name}/{item_id}", response={204: None}, tags=["目录"], summary="删除")
def catalog_remove(request: HttpRequest, name: str, item_id: int) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    catalog_delete(taxpayer=me.taxpayer, name=_catalog_name(name), pk=item_id, actor=me.actor)
    return Reply(204, None)


@router.get("/channels", response=list[dict[str, Any]], tags=["渠道"], summary="开票渠道与余量")
def channels(request: HttpRequest) -> list[dict[str, Any]]:
    me = caller(request)
    me.need(READ)
    today = local_date(timezone.now())
    return [channel_as_dict(channel, today=today) for channel in me.taxpayer.channels.all()]


@router.get("/me", response=dict[str, Any], tags=["账户"], summary="当前身份")
def me_(request: HttpRequest) -> dict[str, Any]:
    me = caller(request)
    taxpayer = me.taxpayer
    return {
        "actor": me.actor,
        "roles": sorted(role.value for role in me.roles),
        "taxpayer": {"name": taxpayer.name, "tax_id": taxpayer.tax_id, "kind": taxpayer.kind},
    }
