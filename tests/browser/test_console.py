"""The console in Chromium, as each demo role sees it: the side menu shows what the role may open
and nothing else, every page it reaches opens inside the layout, fits a 390 px phone, and has no
serious or critical accessibility violation (axe-core); and the issuing form is never silent
(Back issues anew, an expired session keeps the draft, an oversized paste is named).

With ``FAPIAO_SCREENSHOTS=DIR`` (``make screenshots``) the walk also writes the main pages'
screenshots at both widths into DIR."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session

from fapiao.closing.demo_history import demo_history
from fapiao.invoicing.demo import demo_load
from fapiao.invoicing.models import Invoice

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = os.environ.get("FAPIAO_SCREENSHOTS", "")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

COMMON = {
    "发票查询",
    "红字确认单",
    "作废管理",
    "报表查询",
    "开票渠道与库存",
    "个人设置",
    "通知中心",
    "帮助中心",
    "在线客服",
    "发票查验",
}
#: what each demo role's menu holds: exactly these pages
MENUS = {
    "admin": COMMON | {"首页", "开具发票", "批量开具", "开票申请", "扫码开票", "电子档案",
                       "申报与清卡", "上传与对账", "审计日志", "风险预警", "企业信息",
                       "用户与角色", "客户", "商品", "API密钥", "打印设置", "发票模板",
                       "数据备份", "进项发票", "报销单", "勾选抵扣"},
    "kaipiao": COMMON | {"首页", "开具发票", "批量开具", "开票申请", "扫码开票", "客户", "商品",
                         "打印设置", "进项发票", "报销单"},
    "caiwu": COMMON | {"首页", "开票申请", "申报与清卡", "上传与对账", "电子档案", "进项发票",
                       "报销单", "勾选抵扣"},
    "shenji": COMMON | {"首页", "申报与清卡", "上传与对账", "审计日志", "风险预警", "电子档案"},
    "baoxiao": {"我的首页", "进项发票", "报销单", "帮助中心", "在线客服", "发票查验", "个人设置",
                "通知中心"},
    "shuiwu": {"清卡审核", "查验统计", "风险事件", "帮助中心", "在线客服", "发票查验", "个人设置",
               "通知中心"},
    "kefu": {"工单处理", "知识库管理", "分派规则", "帮助中心", "个人设置", "通知中心"},
}  # fmt: skip
LANDING = {"shuiwu": "/authority/clearings/", "kefu": "/support/"}
#: pages to photograph for the README, by role
PHOTOGRAPHED = {
    "admin": {"/": "dashboard", "/invoices/": "invoices", "/reports/?span=annual": "reports",
              "/settings/users/": "users", "/audit/": "audit"},
    "kaipiao": {"/issue/": "issue"},
    "shuiwu": {"/authority/clearings/": "authority"},
}  # fmt: skip


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#password-login [name=username]", username)
    page.fill("#password-login [name=password]", "Fapiao#2026")
    page.click("#password-login button")
    page.wait_for_load_state()


def menu_labels(page: Any) -> set[str]:
    return {text.strip() for text in page.locator("#side-menu a").all_text_contents()}


def serious_violations(page: Any) -> list[str]:
    if not AXE.is_file():
        pytest.fail(f"axe-core not found at {AXE}: run make assets")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => v.id + ": "
                 + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "))"""
    )


def too_wide(page: Any) -> int:
    """How many pixels the page is wider than the viewport (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def photograph(page: Any, role: str, path: str, width: str) -> None:
    name = PHOTOGRAPHED.get(role, {}).get(path)
    if SCREENSHOTS and name:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{width}.png"))


@pytest.mark.parametrize("role", sorted(MENUS))
def test_each_role_sees_its_menu_and_every_page_fits_and_is_accessible(
    browser: Any, live_server: Any, role: str
) -> None:
    base = live_server.url
    demo = demo_load(history=demo_history if SCREENSHOTS else None)  # photos with a year in them
    invoice = Invoice.objects.filter(taxpayer=demo.taxpayer).first()
    assert invoice is not None
    problems: list[str] = []
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(locale="zh-CN", viewport=size)
        page = context.new_page()
        sign_in(page, base, role)
        assert page.url == base + LANDING.get(role, "/"), (role, page.url)
        assert menu_labels(page) == MENUS[role], role
        links = page.eval_on_selector_all(
            "#side-menu a", "els => els.map(e => e.getAttribute('href'))"
        )
        extra = [f"/invoices/{invoice.pk}/", "/reports/?span=annual"] if role == "admin" else []
        extra.append("/settings/me/security/")
        for path in [*links, *extra]:
            response = page.goto(base + path)
            assert response is not None and response.status == 200, (role, path, response)
            assert page.locator("#side-menu").count() == 1, (role, path)  # inside the layout
            if size_name == "phone" and too_wide(page) > 0:
                problems.append(f"{path} is {too_wide(page)}px wider than the phone")
            if size_name == "desktop":
                problems += [f"{path} {v}" for v in serious_violations(page)]
            photograph(page, role, path, size_name)
        context.close()
    assert problems == []


def test_pages_without_a_signed_in_user_fit_and_are_accessible(page: Any, live_server: Any) -> None:
    base = live_server.url
    problems = []
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        for path in ("/", "/accounts/login/", "/verify/", "/accounts/register/", "/no-such-page/"):
            page.goto(base + path)
            if too_wide(page) > 0:
                problems.append(f"{path} at {size['width']}px is too wide")
            if size is DESKTOP:
                problems += [f"{path} {v}" for v in serious_violations(page)]
    assert problems == []


def test_error_pages_sit_in_the_layout_with_a_way_back(page: Any, live_server: Any) -> None:
    base = live_server.url
    demo_load()
    sign_in(page, base, "kaipiao")
    response = page.goto(f"{base}/no-such-page/")
    assert response.status == 404
    assert page.text_content("#error-page h1") == "页面不存在"
    assert page.locator("#side-menu").count() == 1
    response = page.goto(f"{base}/audit/")  # 开票员 may not read the audit log
    assert response.status == 403
    assert "没有权限访问此页面" in page.text_content("#error-page")
    page.click("#error-page >> text=返回首页")
    page.wait_for_url(f"{base}/")


def fill_invoice(page: Any, buyer: str) -> None:
    page.select_option("#kind", "DIGITAL_ORDINARY")
    page.fill("[id='buyer.name']", buyer)
    row = page.locator("#lines tr").first
    row.locator("[name=name]").fill("软件开发服务")
    row.locator("[name=name]").press("Tab")  # the catalog's product fills its code
    if not row.locator("[name=tax_code]").input_value():
        row.locator("[name=tax_code]").fill("3040201010000000000")
    row.locator("[name=amount]").fill("100")
    page.wait_for_function("document.getElementById('sum-total').textContent !== '0.00'")


def issuing_form(page: Any, live_server: Any) -> Any:
    """The demo's 开票员 on a new issuing form; the demo's result."""
    demo = demo_load()
    sign_in(page, live_server.url, "kaipiao")
    page.goto(f"{live_server.url}/issue/")
    return demo


def test_back_after_issuing_issues_a_new_invoice(page: Any, live_server: Any) -> None:
    demo = issuing_form(page, live_server)
    fill_invoice(page, "返回键测试有限公司")
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/invoices/\d+/$"))
    page.go_back()
    page.wait_for_selector("#issue")
    if not page.input_value("[id='buyer.name']"):  # not kept by the browser: fill again
        fill_invoice(page, "返回键测试有限公司")
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/invoices/\d+/$"))
    issued = Invoice.objects.filter(taxpayer=demo.taxpayer, buyer_name="返回键测试有限公司")
    assert issued.count() == 2


def test_an_expired_session_is_told_and_the_draft_comes_back(page: Any, live_server: Any) -> None:
    base = live_server.url
    issuing_form(page, live_server)
    fill_invoice(page, "会话过期测试有限公司")
    page.fill("#remarks", "合同号 HT-2026-001")
    Session.objects.all().delete()  # the session ends while the clerk types
    page.click("#submit")
    toast = page.locator("#toasts .toast")
    toast.wait_for()
    assert "登录已过期，请重新登录" in toast.text_content()
    assert page.input_value("[id='buyer.name']") == "会话过期测试有限公司"  # nothing lost
    sign_in(page, base, "kaipiao")
    page.goto(f"{base}/issue/")
    assert page.input_value("[id='buyer.name']") == "会话过期测试有限公司"
    assert page.input_value("#remarks") == "合同号 HT-2026-001"
    assert page.locator("#lines [name=name]").first.input_value() == "软件开发服务"
    assert "已恢复上次未提交的内容" in page.text_content("#form-error")


def test_an_oversized_paste_is_refused_naming_the_field(page: Any, live_server: Any) -> None:
    issuing_form(page, live_server)
    fill_invoice(page, "粘贴测试有限公司")
    page.fill("#remarks", "长" * 300_000)
    page.click("#submit")
    error = page.locator("[data-for=remarks]")
    page.wait_for_function("document.querySelector('[data-for=remarks]').textContent !== ''")
    assert "备注不能超过" in error.text_content()
    assert Invoice.objects.filter(buyer_name="粘贴测试有限公司").count() == 0


def test_lists_filter_sort_and_page_in_place(page: Any, live_server: Any) -> None:
    base = live_server.url
    demo = demo_load()
    sign_in(page, base, "kaipiao")
    page.goto(f"{base}/invoices/")
    page.evaluate("window.kept = 'same page'")  # gone if the browser loads a new page
    page.fill("#filters [name=buyer]", "华章")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*buyer=%E5%8D%8E%E7%AB%A0.*|.*buyer=华章.*"))
    page.wait_for_selector("#table-count")
    wanted = Invoice.objects.filter(taxpayer=demo.taxpayer, buyer_name__contains="华章").count()
    assert page.text_content("#table-count") == f"共 {wanted} 条"
    page.click("#results th >> text=价税合计")
    page.wait_for_url(re.compile(r".*sort=total.*"))
    totals = page.locator("#results tbody td.num").all_text_contents()
    assert page.evaluate("window.kept") == "same page"
    shown = [t for i, t in enumerate(totals) if i % 3 == 2]  # 金额, 税额, 价税合计 per row
    assert shown == sorted(shown, key=lambda t: float(t.replace(",", "")))
    export = page.get_attribute("#listing .exports a", "href")
    assert export and "buyer=" in export and "sort=total" in export and "export=csv" in export
    page.click("#results tbody a >> nth=0")  # a row's link is a plain page, not a swap
    page.wait_for_url(re.compile(r".*/invoices/\d+/$"))
    page.wait_for_selector("text=下载 PDF")


def test_selects_search_and_dates_pick(page: Any, live_server: Any) -> None:
    base = live_server.url
    demo_load()
    sign_in(page, base, "kaipiao")
    page.goto(f"{base}/invoices/")
    page.click("#filters .ts-control")  # Tom Select in place of the plain select
    page.keyboard.type("电子普通")  # finds 增值税电子普通发票 among the six
    page.wait_for_function("document.querySelectorAll('.ts-dropdown .option').length === 1")
    assert page.text_content(".ts-dropdown .option") == "增值税电子普通发票"
    page.keyboard.press("Enter")
    assert page.input_value("#filters select[name=kind]") == "VAT_ORDINARY_ELECTRONIC"
    page.click("#filters [name=start]")
    page.wait_for_selector(".flatpickr-calendar.open")  # the date picker, in Chinese
    assert "一月" in page.text_content(".flatpickr-calendar .flatpickr-monthDropdown-months")


def test_report_charts_draw_and_a_bar_opens_its_invoices(page: Any, live_server: Any) -> None:
    base = live_server.url
    demo_load()
    sign_in(page, base, "caiwu")
    page.goto(f"{base}/reports/")
    for name in ("trend", "kinds", "rates"):  # axes, bars, slices: a chart, not an empty box
        page.wait_for_function(
            f"document.querySelectorAll('[data-chart={name}].drawn svg path').length > 2"
        )
    with page.expect_download() as pdf:
        page.click("#report-export-pdf")
    with open(pdf.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"
    box = page.locator("[data-chart=kinds]").bounding_box()
    assert box is not None
    # the tallest bar is the 数电专票 of the demo: click inside the plot, above the axis
    page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.querySelector('[data-chart=kinds]'));
        const half = chart.getOption().series[0].data[0] / 2;
        const [x, y] = chart.convertToPixel({seriesIndex: 0}, [0, half]);
        window.barAt = [x, y];
    }""")
    x, y = page.evaluate("window.barAt")
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(re.compile(r".*/invoices/\?.*kind=.*"))
    assert "共 1 条" in page.text_content("#table-count")
