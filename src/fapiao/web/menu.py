"""The console's side menu: groups of pages, each shown only to the roles that may open it.

A new page joins the menu with one ``Item`` here (its label, address and the roles of its view's
``@page``); the layout draws the groups, marks the current page, and builds the breadcrumbs from
the same list, so the menu, the breadcrumbs and the pages' own permissions cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from fapiao.core.roles import ACCOUNT, AUDIT, ISSUE, OVERSEE, READ, RECEIVE, SETUP, SUPPORT, Role

#: anyone signed in, whatever their roles
ANYONE: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Item:
    label: str
    url: str
    roles: frozenset[Role] = ANYONE
    #: also current on these addresses (a list's own pages, e.g. an invoice under 发票查询)
    also: tuple[str, ...] = ()

    def allowed(self, roles: frozenset[Role]) -> bool:
        return not self.roles or bool(self.roles & roles)

    def matches(self, path: str) -> int:
        """How well ``path`` falls under this item: the length of the longest address it
        starts with (0: not at all; the home page matches only itself)."""
        best = 0
        for url in (self.url, *self.also):
            if path == url or (url != "/" and path.startswith(url)):
                best = max(best, len(url))
        return best


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    items: tuple[Item, ...] = field(default_factory=tuple)


TAXPAYER_MENU: tuple[Group, ...] = (
    Group("home", _("首页"), (Item(_("首页"), "/", READ),)),
    Group("invoices", _("发票管理"), (
        Item(_("开具发票"), "/issue/", ISSUE),
        Item(_("批量开具"), "/batches/", ISSUE),
        Item(_("开票申请"), "/requests/", ISSUE | {Role.FINANCE}),
        Item(_("扫码开票"), "/orders/", ISSUE),
        Item(_("发票查询"), "/invoices/", READ),
        Item(_("红字确认单"), "/red-forms/", READ),
        Item(_("作废管理"), "/voids/", READ),
        Item(_("电子档案"), "/archives/", OVERSEE),
    )),
    Group("reports", _("报表查询"), (Item(_("报表查询"), "/reports/", READ),)),
    Group("received", _("进项与报销"), (
        Item(_("进项发票"), "/received/", RECEIVE),
        Item(_("报销单"), "/claims/", RECEIVE),
        Item(_("勾选抵扣"), "/deductions/", ACCOUNT),
    )),
    Group("closing", _("申报与清卡"), (Item(_("申报与清卡"), "/closing/", OVERSEE),)),
    Group("sync", _("上传与对账"), (Item(_("上传与对账"), "/sync/", OVERSEE),)),
    Group("audit", _("安全审计"), (
        Item(_("审计日志"), "/audit/", AUDIT),
        Item(_("风险预警"), "/risk/", AUDIT),
    )),
    Group("settings", _("系统设置"), (
        Item(_("企业信息"), "/settings/", SETUP),
        Item(_("用户与角色"), "/settings/users/", SETUP),
        Item(_("客户"), "/settings/catalogs/customers/", ISSUE),
        Item(_("商品"), "/settings/catalogs/products/", ISSUE),
        Item(_("开票渠道与库存"), "/settings/channels/", READ),
        Item(_("打印设置"), "/settings/printers/", ISSUE),
        Item(_("发票模板"), "/settings/templates/", SETUP),
        Item(_("API密钥"), "/settings/keys/", SETUP),
        Item(_("数据备份"), "/settings/backups/", SETUP),
        Item(_("个人设置"), "/settings/me/"),
        Item(_("通知中心"), "/notices/"),
    )),
    Group("help", _("帮助与支持"), (
        Item(_("帮助中心"), "/help/"),
        Item(_("在线客服"), "/help/tickets/"),
        Item(_("发票查验"), "/verify/"),
    )),
)  # fmt: skip

#: 报销人: what a claimant may open: their received invoices and claims
CLAIMANT_MENU: tuple[Group, ...] = (
    Group("home", _("首页"), (Item(_("我的首页"), "/"),)),
    Group("received", _("进项与报销"), (
        Item(_("进项发票"), "/received/"),
        Item(_("报销单"), "/claims/"),
    )),
    Group("help", _("帮助与支持"), (
        Item(_("帮助中心"), "/help/"),
        Item(_("在线客服"), "/help/tickets/"),
        Item(_("发票查验"), "/verify/"),
        Item(_("个人设置"), "/settings/me/"),
        Item(_("通知中心"), "/notices/"),
    )),
)  # fmt: skip

#: 客服 and 客服主管: the tickets and the help centre, nothing of any taxpayer
SUPPORT_MENU: tuple[Group, ...] = (
    Group("support", _("客服工作台"), (
        Item(_("工单处理"), "/support/", SUPPORT),
        Item(_("知识库管理"), "/help/manage/", SUPPORT),
        Item(_("分派规则"), "/support/routing/", frozenset({Role.SUPPORT_LEAD})),
    )),
    Group("help", _("帮助与支持"), (
        Item(_("帮助中心"), "/help/"),
        Item(_("个人设置"), "/settings/me/"),
        Item(_("通知中心"), "/notices/"),
    )),
)  # fmt: skip

#: 税务机关
AUTHORITY_MENU: tuple[Group, ...] = (
    Group("authority", _("税务机关"), (
        Item(_("清卡审核"), "/authority/clearings/", frozenset({Role.AUTHORITY})),
        Item(_("查验统计"), "/authority/verifications/", frozenset({Role.AUTHORITY})),
        Item(_("风险事件"), "/authority/risks/", frozenset({Role.AUTHORITY})),
    )),
    Group("help", _("帮助与支持"), (
        Item(_("帮助中心"), "/help/"),
        Item(_("在线客服"), "/help/tickets/"),
        Item(_("发票查验"), "/verify/"),
        Item(_("个人设置"), "/settings/me/"),
        Item(_("通知中心"), "/notices/"),
    )),
)  # fmt: skip


@dataclass(frozen=True)
class Shown:
    """One group as the layout draws it: its allowed items, and whether it holds the page."""

    key: str
    label: str
    items: tuple[tuple[Item, bool], ...]

    @property
    def current(self) -> bool:
        return any(active for _item, active in self.items)


def menu_for(roles: frozenset[Role], *, authority: bool, path: str) -> list[Shown]:
    """The groups and items ``roles`` may open, the current page marked: a taxpayer's menu for
    a member of one, the authority's for 税务机关, support's for 客服 (``roles`` then holds
    the support role), a claimant's when that is all the user is."""
    groups = _groups_for(roles, authority=authority)
    if authority:
        roles = roles | {Role.AUTHORITY}
    items = [item for group in groups for item in group.items if item.allowed(roles)]
    best = max((item.matches(path) for item in items), default=0)
    shown = []
    for group in groups:
        allowed = tuple(
            (item, best > 0 and item.matches(path) == best)
            for item in group.items
            if item.allowed(roles)
        )
        if allowed:
            shown.append(Shown(group.key, str(group.label), allowed))
    return shown


def _groups_for(roles: frozenset[Role], *, authority: bool) -> tuple[Group, ...]:
    if roles & READ and authority:  # a clerk who is also the authority's sees both
        return (*TAXPAYER_MENU[:-1], AUTHORITY_MENU[0], TAXPAYER_MENU[-1])
    if roles & READ:
        return TAXPAYER_MENU
    if authority:
        return AUTHORITY_MENU
    if roles & SUPPORT:
        return SUPPORT_MENU
    return CLAIMANT_MENU


def landing(roles: frozenset[Role], *, authority: bool) -> str:
    """Where a user lands after signing in: a taxpayer's clerk on 首页, the authority on 清卡审核,
    support on 工单处理, a claimant on their own page."""
    if not roles & READ and authority:
        return "/authority/clearings/"
    if not roles & READ and roles & SUPPORT:
        return "/support/"
    return "/"


def breadcrumbs(shown: Iterable[Shown]) -> list[str]:
    """The current page's group and item labels (one label when they are the same)."""
    for group in shown:
        for item, active in group.items:
            if active:
                labels = [group.label, str(item.label)]
                return labels[1:] if labels[0] == labels[1] else labels
    return []
