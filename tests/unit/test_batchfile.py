"""The detail file's rules: its header, rows grouped by 单据号, the draft a group makes, the
catalogs filling blanks, and a refusal traced back to its row and column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.batchfile import (
    COLUMNS,
    BadFile,
    Group,
    draft_data,
    fill_from_catalogs,
    group_rows,
    header_keys,
    line_data,
    locate,
    mode_of,
)
from fapiao.domain.rates import R6
from fapiao.domain.tax import LineInput

HEADER = [
    "单据号",
    "购买方名称",
    "备注",
    "项目名称",
    "金额",
    "税率",
    "自然人",
    "折扣行",
    "错误信息",
]


def test_the_header_is_read_by_label_or_key_and_must_name_order_and_item() -> None:
    keys = header_keys([*HEADER, "某个别的列", None])
    assert keys[:4] == ["order", "buyer_name", "remarks", "name"]
    assert keys[-3:] == [None, None, None]  # our error column and unknown ones are ignored
    assert header_keys(["order", "name"]) == ["order", "name"]
    with pytest.raises(BadFile) as refused:
        header_keys(["购买方名称", "项目名称"])
    assert "单据号" in refused.value.message
    with pytest.raises(BadFile, match="项目名称"):
        header_keys(["单据号"])


def test_rows_group_by_order_wherever_they_stand_and_conflicts_are_named() -> None:
    keys = header_keys(HEADER)
    rows = [
        (2, ["A", "甲公司", "", "服务费", "100", "6%", "否", "", ""]),
        (3, ["B", "乙公司", "", "服务费", "50", "6%", "", "", ""]),
        (4, ["A", "", "备注一", "培训费", "200", "6%", "", "", ""]),
        (5, ["A", "丙公司", "", "咨询费", "10", "6%", "", "", ""]),
        (6, ["", "丁公司", "", "服务费", "1", "6%", "", "", ""]),
        (7, ["B"]),  # a short row: the missing cells are blank
    ]
    groups, errors = group_rows(keys, rows)
    assert [g.order for g in groups] == ["A", "B"]
    a, b = groups
    assert (a.rows, a.first_row, b.rows) == ([2, 4, 5], 2, [3, 7])
    assert a.values == {"buyer_name": "甲公司", "buyer_individual": "否", "remarks": "备注一"}
    assert a.value_rows["remarks"] == 4
    assert [(e.row, e.column) for e in errors] == [(5, "购买方名称"), (6, "单据号")]
    assert "第2行为“甲公司”" in str(errors[0].message)


def test_a_group_is_the_draft_the_single_issue_reads() -> None:
    group = Group(
        "A",
        values={"buyer_name": "甲", "buyer_individual": "是", "mode": "含税", "remarks": "r"},
        lines=[{"name": "x", "amount": "-5", "discount": "是"}],
        rows=[2],
    )
    data = draft_data(group, kind="DIGITAL_ORDINARY", drawer="张三")
    assert (data["kind"], data["mode"], data["drawer"], data["remarks"]) == (
        "DIGITAL_ORDINARY",
        "inclusive",
        "张三",
        "r",
    )
    assert data["buyer"]["individual"] is True and data["buyer"]["name"] == "甲"
    assert data["lines"][0]["discount"] is True and data["lines"][0]["tax"] == ""
    assert draft_data(Group("B", values={"kind": "专票"}))["kind"] == "专票"
    assert [mode_of(v) for v in ("含税", "不含税", "", "INCLUSIVE", "半含税")] == [
        "inclusive",
        "exclusive",
        "exclusive",
        "inclusive",
        "半含税",
    ]


def test_catalogs_fill_blanks_and_keep_what_the_file_gives() -> None:
    group = Group(
        "A",
        values={"buyer_name": "常客", "buyer_email": "own@example.cn"},
        lines=[
            {"name": "培训费", "spec": "", "rate": "3%"},
            {"name": "未知"},
            {"name": "培训费", "spec": "", "amount": "10"},
        ],
        rows=[2, 3, 4],
    )
    product = {
        "tax_code": "3070201020000000000",
        "short_name": "培训",
        "rate": "6%",
        "unit": "人次",
        "unit_price": "250",
    }
    fill_from_catalogs(
        group,
        customer={"tax_id": "9132", "email": "c@example.cn", "bank": ""},
        products={("培训费", ""): product},
    )
    assert group.values["buyer_tax_id"] == "9132"
    assert group.values["buyer_email"] == "own@example.cn"  # the file's own stays
    assert "buyer_bank" not in group.values
    first, unknown, priced = group.lines
    assert (first["rate"], first["tax_code"], first["unit_price"]) == (
        "3%",
        "3070201020000000000",
        "250",
    )
    assert unknown == {"name": "未知"}
    assert "unit_price" not in priced  # an amount given: no price filled
    fill_from_catalogs(group, customer=None, products={})


def test_a_refusal_names_the_row_and_column_it_came_from() -> None:
    group = Group(
        "A",
        values={"buyer_tax_id": "x"},
        value_rows={"buyer_tax_id": 5},
        lines=[{}, {}, {}],
        rows=[2, 4, 5],
    )
    assert locate(group, "lines.1.rate") == (4, "税率")
    assert locate(group, "lines.2.short_name") == (5, "项目名称")
    assert locate(group, "lines.9.amount") == (5, "金额")  # past the end: the last row
    assert locate(group, "lines.1.amount", sources=[0, 2]) == (5, "金额")  # after a merge
    assert locate(group, "lines") == (2, "金额")
    assert locate(group, "buyer.tax_id") == (5, "购买方纳税人识别号")
    assert locate(group, "channel") == (2, "发票种类")
    assert locate(group, None) == (2, "单据号")
    assert locate(group, "lines.x") == (2, "单据号")


@given(
    st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=2),
    st.one_of(
        st.none(), st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e4"), places=3)
    ),
)
def test_a_line_written_back_reads_as_the_same_figures(
    amount: Decimal, quantity: Decimal | None
) -> None:
    line = LineInput(name="x", rate=R6, amount=amount, quantity=quantity, tax=Decimal("1.00"))
    data = line_data(line)
    assert Decimal(data["amount"]) == amount
    assert (data["quantity"] == "") is (quantity is None)
    assert data["rate"] == "0.06" and data["unit_price"] == ""


def test_every_column_has_a_note_for_the_template() -> None:
    assert all(column.note for column in COLUMNS)
    assert len({column.label for column in COLUMNS}) == len(COLUMNS)
