from __future__ import annotations

import pytest

from fapiao.domain.taxpayer_id import BadTaxpayerId, compact, validate_buyer_id, validate_uscc

REAL = ["9132020013590404XW", "52320200509244470T"]  # from samples/shudian-ordinary.xml


@pytest.mark.parametrize("number", REAL)
def test_real_codes_are_valid(number: str) -> None:
    assert validate_uscc(number) == number
    assert validate_uscc(number.lower()[:6] + " " + number.lower()[6:]) == number
    assert validate_buyer_id(number) == number


def test_wrong_check_character_is_named() -> None:
    with pytest.raises(BadTaxpayerId, match="校验位不正确") as caught:
        validate_uscc("9132020013590404XA", field="seller.tax_id")
    assert caught.value.field == "seller.tax_id"
    with pytest.raises(BadTaxpayerId, match="格式不正确"):
        validate_uscc("913202001359")


def test_older_buyer_ids_and_personal_ids() -> None:
    assert validate_buyer_id("110105123456789") == "110105123456789"  # 15
    assert validate_buyer_id("11010512345678901") == "11010512345678901"  # 17
    assert validate_buyer_id("11010519491231002X00") == "11010519491231002X00"  # 20
    assert validate_buyer_id("11010519491231002X") == "11010519491231002X"  # 居民身份证
    for bad in ("1234", "9132020013590404XA", "11010512345678901?"):
        with pytest.raises(BadTaxpayerId):
            validate_buyer_id(bad)


def test_compact() -> None:
    assert compact(" 9132-0200 1359 0404xw ") == "9132020013590404XW"
