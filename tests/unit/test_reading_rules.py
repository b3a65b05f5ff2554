"""The reading of a received invoice: sources merged by trust with disagreements flagged, the
offline checks, and the face's fields found by their layout (split labels, glyphs spaced apart,
Kangxi radicals, OCR boxes holding label and value)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.facelayout import read_face
from fapiao.domain.facetable import segments
from fapiao.domain.facewords import Word, normalise, ocr_repaired
from fapiao.domain.reading import DOUBTED, Candidate, Line, Source, merge, rate_of
from fapiao.domain.words import amount_in_words

D = Decimal


def test_the_most_trusted_source_wins_and_a_disagreement_is_said() -> None:
    xml = Candidate(Source.XML, {"invoice_number": "24512000000202537619", "total": D("10.00")})
    qr = Candidate(Source.QR, {"invoice_number": "24512000000202537619", "total": D("11.00")})
    text = Candidate(Source.TEXT, {"invoice_number": "24512000000202537619", "buyer_name": " 甲 "})
    reading = merge([text, qr, xml])
    assert reading.value("total") == D("10.00") and reading.fields["total"].source == "xml"
    assert reading.value("buyer_name") == "甲"
    assert "价税合计不一致：XML为“10.00”，二维码为“11.00”" in reading.warnings
    assert reading.fields["invoice_number"].confidence > reading.fields["buyer_name"].confidence
    assert reading.fields["total"].confidence < 1
    assert reading.identity() == ("", "24512000000202537619")


def test_text_compared_without_spaces_and_full_width_forms() -> None:
    a = Candidate(Source.TAGS, {"remarks": "项目编号：WX-1"})
    b = Candidate(Source.TEXT, {"remarks": "项目编号: WX-1"})
    assert merge([a, b]).warnings == []


def test_lines_come_from_the_most_trusted_source_that_has_them() -> None:
    ours = [Line(name="甲", amount=D("1.00"), rate="6%", tax=D("0.06"))]
    reading = merge(
        [Candidate(Source.TEXT, {}, [Line(name="乙")]), Candidate(Source.XML, {}, ours)]
    )
    assert reading.lines == ours
    assert reading.as_json()["lines"][0] == {
        "name": "甲", "spec": "", "unit": "", "quantity": None, "unit_price": None,
        "amount": "1.00", "rate": "6%", "tax": "0.06",
    }  # fmt: skip


def _checked(fields: dict[str, object], lines: list[Line] | None = None) -> list[str]:
    return merge([Candidate(Source.XML, fields, lines or [])]).warnings


def test_the_offline_checks() -> None:
    assert _checked({"buyer_tax_id": "91511002309361947N"}) == []
    assert _checked({"seller_tax_id": "913202001359040400"}) == [
        "销售方纳税人识别号“913202001359040400”校验位不正确"
    ]
    assert _checked({"buyer_tax_id": "ABC"}) == ["购买方纳税人识别号“ABC”格式不正确"]
    assert _checked({"invoice_code": "123", "invoice_number": "1"}) == [
        "发票代码“123”不是有效的发票代码"
    ]
    assert _checked({"invoice_number": "00000000000000000000"}) == [
        "发票号码“00000000000000000000”不是有效的数电发票号码"
    ]
    assert _checked({"amount_excl_tax": D("100"), "tax": D("6"), "total": D("107")}) == [
        "合计金额100加税额6不等于价税合计107"
    ]
    assert _checked({"total": D("106.00"), "total_in_words": "壹佰零陆圆整"}) == []
    assert _checked({"total": D("106.00"), "total_in_words": "壹佰零柒圆整"}) == [
        "价税合计大写“壹佰零柒圆整”（107.00）与小写106.00不符"
    ]
    assert _checked({"total": D("1"), "total_in_words": "ABC"}) == ["价税合计大写“ABC”无法识别"]
    lines = [Line(amount=D("100"), rate="13%", tax=D("13.10")), Line(amount=D("1"), rate="免税")]
    assert _checked({"amount_excl_tax": D("102"), "tax": D("13")}, lines) == [
        "第1行税额13.10与金额×税率相差超过0.06元",
        "各行金额之和101与合计金额102不符",
    ]
    lines[1].tax = D("0")
    assert "各行税额之和13.10与合计税额13不符" in _checked({"tax": D("13")}, lines)


def test_a_field_failing_its_check_is_doubted_whatever_its_source() -> None:
    ids = {"buyer_tax_id": "91511002309361947N", "seller_tax_id": "913202001359040400"}
    fields = {**ids, "amount_excl_tax": D("100"), "tax": D("6"), "total": D("107")}
    confidence = merge([Candidate(Source.XML, fields)]).as_json()["confidence"]
    assert confidence["buyer_tax_id"] == 1.0 and confidence["seller_tax_id"] == DOUBTED
    assert {confidence[name] for name in ("amount_excl_tax", "tax", "total")} == {DOUBTED}
    fields = {**fields, "total": D("106"), "total_in_words": "壹佰零柒圆整"}
    confidence = merge([Candidate(Source.XML, fields)]).as_json()["confidence"]
    assert confidence["amount_excl_tax"] == 1.0
    assert confidence["total"] == confidence["total_in_words"] == DOUBTED


def test_rates_as_printed() -> None:
    assert [rate_of(t) for t in ("13%", "6％", "0.09", "免税", "***", "", "abc")] == [
        D("0.13"), D("0.06"), D("0.09"), D(0), D(0), None, None,
    ]  # fmt: skip


def test_normalising_lookalikes_and_spaced_glyphs() -> None:
    assert normalise("⾦ 额") == "金额"  # a Kangxi radical, spaced
    assert normalise("9 1 5 1 1 0") == "915110"
    assert normalise("名 称：") == "名称:"
    assert normalise("￥１２．５０") == "¥12.50"
    assert normalise("FS339 只") == "FS339只"


def w(text: str, x: float, y: float, width: float | None = None, score: float = 1.0) -> Word:
    return Word(text, x, y, x + (width or 6 * len(text)), y + 8, score)


TOTAL, TAX = D("106.00"), D("6.00")


def face(total: Decimal = TOTAL, tax: Decimal = TAX) -> list[Word]:
    amount = total - tax
    return [
        w("电子发票（普通发票）", 160, 20),
        w("发票号码：", 430, 30), w("24512000000202537619", 482, 30),
        w("开票日期：", 430, 45), w("2024", 482, 45), w("年", 500, 45), w("09", 509, 45),
        w("月", 518, 45), w("25", 527, 45), w("日", 537, 45),
        w("购", 17, 93), w("名称：", 33, 96), w("内江市天润商贸有限公司", 58, 96),
        w("销", 302, 93), w("名称：", 318, 96), w("四川川海工程管理咨询有限公司", 341, 96),
        w("统一社会信用代码", 33, 126), w("/", 97, 126), w("纳税人识别号：", 101, 126),
        w("9 1 5 1 1 0 0 2 3 0 9 3 6 1 9 4 7 N", 155, 126, 128),
        w("纳税人识别号：", 386, 126), w("91511002572793472P", 440, 126),
        w("项目名称", 46, 151), w("单", 190, 151), w("位", 208, 151), w("数", 264, 151),
        w("量", 282, 151), w("单", 335, 151), w("价", 353, 151), w("金", 407, 151),
        w("额", 425, 151), w("税率/征收率", 447, 151), w("税", 551, 151), w("额", 569, 151),
        w("*", 13, 162, 4), w("信息技术服务", 18, 162), w("*", 55, 162, 4), w("技术", 60, 162),
        w("项", 199, 162), w("1", 280, 162), w(f"{amount}", 300, 162), w(f"{amount}", 398, 162),
        w("6%", 466, 162), w(f"{tax}", 551, 162),
        w("服务费", 13, 175),
        w("合", 58, 262), w("计", 104, 262), w("¥", 388, 262, 5), w(f"{amount}", 395, 262),
        w("¥", 540, 262, 5), w(f"{tax}", 547, 262),
        w("价税合计（大写）", 48, 280), w(amount_in_words(total), 179, 280),
        w("（小写）", 412, 280), w("¥", 441, 280, 5), w(f"{total}", 448, 280),
        w("备", 17, 310, 8), w("订单号：A-1", 40, 315), w("注", 17, 327, 8),
        w("开票人：", 56, 368), w("刘亚莉", 91, 368),
    ]  # fmt: skip


def test_the_fields_of_a_face_by_its_layout() -> None:
    found = read_face(face(), source=Source.TEXT)
    assert found.given() == {
        "kind": "DIGITAL_ORDINARY", "invoice_number": "24512000000202537619",
        "date": date(2024, 9, 25), "issuer": "刘亚莉",
        "buyer_name": "内江市天润商贸有限公司", "buyer_tax_id": "91511002309361947N",
        "seller_name": "四川川海工程管理咨询有限公司", "seller_tax_id": "91511002572793472P",
        "amount_excl_tax": D("100.00"), "tax": D("6.00"), "total": D("106.00"),
        "total_in_words": "壹佰零陆圆整", "remarks": "订单号:A-1",
    }  # fmt: skip
    (line,) = found.lines
    assert (line.name, line.unit, line.quantity, line.unit_price, line.amount, line.rate) == (
        "*信息技术服务*技术服务费", "项", "1", "100.00", D("100.00"), "6%",
    )  # fmt: skip
    assert found.confidence == {}  # a text layer: the source's own trust


def test_ocr_boxes_with_label_and_value_and_their_scores() -> None:
    words = [
        w("增值税电子普通发票", 100, 10, score=0.99),
        w("发票代码:041001900111", 400, 10, score=0.97),
        w("发票号码:32321709", 400, 25, score=0.95),
        w("校验码:66881 99000 29471 47011", 400, 40, score=0.9),
    ]
    found = read_face(words, source=Source.OCR)
    assert found.given() == {
        "kind": "VAT_ORDINARY_ELECTRONIC", "invoice_code": "041001900111",
        "invoice_number": "32321709", "check_code": "66881990002947147011",
    }  # fmt: skip
    assert set(found.confidence.values()) == {0.9}
    assert read_face([], source=Source.OCR).given() == {}


def test_ocr_misreadings_of_the_yuan_sign_and_of_the_total_label() -> None:
    texts = ("V39379.52", "合计 Y12.50", "V2.0", "V2.00.1", "VIP")
    assert [ocr_repaired(t) for t in texts] == ["¥39379.52", "合计 ¥12.50", *texts[2:]]
    words = []
    for word in face():
        if word.text == "价税合计（大写）" or (word.text == "¥" and word.y0 == 262):
            continue  # OCR missed the label and read the 合计 row's signs as V
        misread = word.y0 == 262 and word.text in ("100.00", "6.00")
        words.append(replace(word, text="V" + word.text) if misread else word)
    read = read_face(words, source=Source.OCR).given()
    assert (read["amount_excl_tax"], read["tax"], read["total"]) == (D("100.00"), TAX, TOTAL)
    assert "total_in_words" not in read  # its label was not read: nor is it
    # a text layer prints what it means: a V before a figure there is a V
    assert "tax" not in read_face(words, source=Source.TEXT).given()
    # 合 计 read as "i计": the figures of the row above the total's are the totals
    words = [replace(w, text="i") if w.text == "合" else w for w in words]
    read = read_face(words, source=Source.OCR).given()
    assert (read["amount_excl_tax"], read["tax"]) == (D("100.00"), TAX)


def test_a_cell_split_into_runs_is_one_segment_but_figures_stand_alone() -> None:
    row = [w("HRB400", 119, 0, 26), w("φ", 148, 0, 5), w("16E", 156, 0, 12),
           w("7.44", 273, 0, 17), w("3589.38", 291, 0, 40)]  # fmt: skip
    assert [s.text for s in segments(row)] == ["HRB400φ16E", "7.44", "3589.38"]


@given(amount=st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2))
def test_any_totals_printed_are_read_exactly(amount: Decimal) -> None:
    tax = (amount * D("0.06")).quantize(D("0.01"), ROUND_HALF_UP)
    total = amount + tax
    found = read_face(face(total, tax), source=Source.TEXT).given()
    assert (found["total"], found["tax"], found["amount_excl_tax"]) == (total, tax, total - tax)
    assert merge([read_face(face(total, tax), source=Source.TEXT)]).warnings == []
