"""Cells that a spreadsheet program would run as a formula (CSV/Excel formula injection).

Every export writes text cells through :func:`neutralise`: a value that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return (or their full-width forms) gets a leading ``'``, as
OWASP recommends, so Excel and WPS show it as text; plain numbers (``-100.00``) stay numbers.
Imports read cells back through :func:`restore` (an exported ``'=…`` comes back as it was) and
refuse a cell that would be a formula (:func:`is_formula`).
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
FORMULA_MESSAGE = (
    "内容以=、+、-、@等开头，可能被表格软件当作公式执行；如确为文本，请在开头加英文单引号'"
)


def is_formula(text: str) -> bool:
    return text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text)


def neutralise(value: Any) -> Any:
    """``value`` safe to put in a cell: a text that would be a formula gets a leading ``'``."""
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """An imported cell as it was before :func:`neutralise`."""
    if text.startswith("'") and is_formula(text[1:]):
        return text[1:]
    return text
