"""Invoice kinds (发票种类) and everything that differs between them, in one table.

Other code asks a kind's :class:`KindSpec` (``spec(kind).voidable``) instead of testing kinds by
name, so a new kind or a changed rule is one row here (DOMAIN §1).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fapiao.domain.errors import DomainError, Text


class InvoiceKind(enum.StrEnum):
    VAT_SPECIAL_PAPER = "VAT_SPECIAL_PAPER"
    VAT_ORDINARY_PAPER = "VAT_ORDINARY_PAPER"
    VAT_SPECIAL_ELECTRONIC = "VAT_SPECIAL_ELECTRONIC"
    VAT_ORDINARY_ELECTRONIC = "VAT_ORDINARY_ELECTRONIC"
    DIGITAL_SPECIAL = "DIGITAL_SPECIAL"
    DIGITAL_ORDINARY = "DIGITAL_ORDINARY"


class ChannelType(enum.StrEnum):
    DEVICE = "device"  # 税控设备: 金税盘 / 税控盘 / 税务UKey
    DIGITAL = "digital"  # 数电 (全电) platform


class DeviceKind(enum.StrEnum):
    GOLDEN_DISK = "jsp"  # 金税盘
    CONTROL_DISK = "skp"  # 税控盘
    UKEY = "ukey"  # 税务UKey

    @property
    def label(self) -> str:
        return {"jsp": "金税盘", "skp": "税控盘", "ukey": "税务UKey"}[self.value]


class RedForm(enum.StrEnum):
    """What must exist before a red invoice of the kind may be issued."""

    NONE = "none"
    INFO_TABLE = "info_table"  # 红字发票信息表 (税控 专票), 16-digit number
    CONFIRMATION = "confirmation"  # 红字发票信息确认单 (数电)


#: Lines beyond this many on a paper invoice move to a 销货清单 page.
PAPER_FACE_LINES = 8
#: No invoice carries more lines than this.
MAX_LINES = 2000


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: InvoiceKind
    name: str  # the full Chinese name
    short_name: str  # what a clerk says
    qr_type: str  # the 2-digit type of the QR payload and of 查验
    channel: ChannelType
    paper: bool
    special: bool  # 专票: deductible, strict buyer rules
    number_digits: int  # 8 or 20
    code_lengths: tuple[int, ...]  # allowed 发票代码 lengths; () when the kind has none
    code12_types: tuple[str, ...]  # digits 11-12 of a 12-digit code; the first one is built
    code10_types: tuple[str, ...]  # the 8th digit of a 10-digit code; the first one is built
    has_check_code: bool
    voidable: bool
    red_form: RedForm
    face_lines: int | None  # lines printed on the face before a 销货清单; None: no limit

    @property
    def has_code(self) -> bool:
        return bool(self.code_lengths)

    @property
    def digital(self) -> bool:
        return self.channel is ChannelType.DIGITAL

    @property
    def qr_amount_includes_tax(self) -> bool:
        """The QR payload carries 价税合计 for 数电, 合计金额 excluding tax otherwise."""
        return self.digital

    @property
    def allows_zero_rates(self) -> bool:
        """0 %, 免税 and 不征税 never stand on a 专票."""
        return not self.special

    @property
    def allows_individual_buyer(self) -> bool:
        """No 专票 for a consumer (消费者个人)."""
        return not self.special

    @property
    def requires_buyer_details(self) -> bool:
        """专票 need the buyer's id, address, phone, bank and account."""
        return self.special


KINDS: dict[InvoiceKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            InvoiceKind.VAT_SPECIAL_PAPER,
            "增值税专用发票",
            "专票",
            "01",
            ChannelType.DEVICE,
            paper=True,
            special=True,
            number_digits=8,
            code_lengths=(10,),
            code12_types=(),
            code10_types=("1", "5"),
            has_check_code=False,
            voidable=True,
            red_form=RedForm.INFO_TABLE,
            face_lines=PAPER_FACE_LINES,
        ),
        KindSpec(
            InvoiceKind.VAT_ORDINARY_PAPER,
            "增值税普通发票",
            "普票",
            "04",
            ChannelType.DEVICE,
            paper=True,
            special=False,
            number_digits=8,
            code_lengths=(10, 12),
            code12_types=("04", "05"),
            code10_types=("3", "6"),
            has_check_code=True,
            voidable=True,
            red_form=RedForm.NONE,
            face_lines=PAPER_FACE_LINES,
        ),
        KindSpec(
            InvoiceKind.VAT_SPECIAL_ELECTRONIC,
            "增值税电子专用发票",
            "电子专票",
            "08",
            ChannelType.DEVICE,
            paper=False,
            special=True,
            number_digits=8,
            code_lengths=(12,),
            code12_types=("13",),
            code10_types=(),
            has_check_code=True,
            voidable=False,
            red_form=RedForm.INFO_TABLE,
            face_lines=None,
        ),
        KindSpec(
            InvoiceKind.VAT_ORDINARY_ELECTRONIC,
            "增值税电子普通发票",
            "电子普票",
            "10",
            ChannelType.DEVICE,
            paper=False,
            special=False,
            number_digits=8,
            code_lengths=(12,),
            code12_types=("11",),
            code10_types=(),
            has_check_code=True,
            voidable=False,
            red_form=RedForm.NONE,
            face_lines=None,
        ),
        KindSpec(
            InvoiceKind.DIGITAL_SPECIAL,
            "电子发票（增值税专用发票）",
            "数电专票",
            "31",
            ChannelType.DIGITAL,
            paper=False,
            special=True,
            number_digits=20,
            code_lengths=(),
            code12_types=(),
            code10_types=(),
            has_check_code=False,
            voidable=False,
            red_form=RedForm.CONFIRMATION,
            face_lines=None,
        ),
        KindSpec(
            InvoiceKind.DIGITAL_ORDINARY,
            "电子发票（普通发票）",
            "数电普票",
            "32",
            ChannelType.DIGITAL,
            paper=False,
            special=False,
            number_digits=20,
            code_lengths=(),
            code12_types=(),
            code10_types=(),
            has_check_code=False,
            voidable=False,
            red_form=RedForm.CONFIRMATION,
            face_lines=None,
        ),
    )
}

_BY_QR_TYPE = {spec.qr_type: spec.kind for spec in KINDS.values()}


class UnknownKind(DomainError):
    code = "unknown_kind"


def spec(kind: InvoiceKind) -> KindSpec:
    return KINDS[kind]


def parse_kind(value: object, *, field: str = "kind") -> InvoiceKind:
    """A kind from its enum name, its Chinese name or its QR type code."""
    text = str(value).strip()
    if text in InvoiceKind.__members__:
        return InvoiceKind[text]
    for item in KINDS.values():
        if text in (item.name, item.short_name, item.qr_type):
            return item.kind
    raise UnknownKind(Text("不支持的发票种类“{0}”", text), field=field)


def kind_for_qr_type(qr_type: str) -> InvoiceKind | None:
    """The kind a QR/查验 type code stands for, or None for kinds we do not issue."""
    return _BY_QR_TYPE.get(qr_type)


def kinds_for_channel(channel: ChannelType) -> tuple[InvoiceKind, ...]:
    return tuple(item.kind for item in KINDS.values() if item.channel is channel)
