"""Region codes: the two-digit province codes of GB/T 2260 and the 计划单列市 (DOMAIN §1)."""

from __future__ import annotations

from fapiao.domain.errors import DomainError, Text

PROVINCES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
}  # fmt: skip

#: Cities with their own tax bureau (计划单列市): the 4-digit form names the city.
SEPARATE_CITIES: dict[str, str] = {
    "2102": "大连", "3302": "宁波", "3502": "厦门", "3702": "青岛", "4403": "深圳",
}  # fmt: skip


class UnknownRegion(DomainError):
    code = "unknown_region"


def region_name(code: str) -> str:
    """The name of a 2- or 4-digit region code: ``42`` 湖北, ``4403`` 深圳, ``4201`` 湖北."""
    if len(code) == 4 and code in SEPARATE_CITIES:
        return SEPARATE_CITIES[code]
    name = PROVINCES.get(code[:2]) if len(code) in (2, 4) and code.isdigit() else None
    if name is None:
        raise UnknownRegion(Text("未知的地区代码“{0}”", code), field="region")
    return name


def region4(code: str) -> str:
    """The 4-digit form used in invoice codes: ``42`` → ``4200``; ``4403`` stays."""
    region_name(code)
    return code if len(code) == 4 else code + "00"
