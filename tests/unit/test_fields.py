"""Field names in messages: what a clerk reads, never a request path."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.fields import NAMES, field_name, missing_message


def test_paths_read_as_the_form_names_them() -> None:
    assert field_name("buyer.name") == "购买方名称"
    assert field_name("lines.0.rate") == "第1行税率"
    assert field_name("lines.11.unit_price") == "第12行单价"
    assert field_name("lines.2") == "第3行"
    assert field_name("remarks") == "备注"
    assert field_name("whatever.tax_id") == "纳税人识别号"  # a known last part
    assert field_name("unknown") == "unknown"


def test_missing_fields_are_named_once_each_in_order() -> None:
    paths = ["buyer.name", "lines.0.name", "lines.0.rate", "buyer.name"]
    assert missing_message(paths) == "请填写购买方名称、第1行项目名称、第1行税率"


@given(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(sorted(k for k in NAMES if "." not in k)),
)
def test_no_line_path_shows_its_path(row: int, part: str) -> None:
    said = field_name(f"lines.{row}.{part}")
    assert said.startswith(f"第{row + 1}行")
    assert "lines" not in said and "." not in said
