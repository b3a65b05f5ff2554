"""The base of every refusal the domain raises.

Each module defines its own subclasses, named for the failure; each carries a Chinese message for
people, a stable ``code`` for programs and the ``field`` it concerns (a dotted path such as
``lines.2.amount``, 0-based, while the message counts lines from 1 as a clerk does).
"""

from __future__ import annotations

from typing import Any


class Text(str):
    """A message (the Chinese text itself) that remembers how it was made: a ``template`` with
    ``{0}``, ``{1}``… and the ``args`` that fill it, so that the web pages can say it in
    another language (the domain imports no translation machinery)."""

    template: str
    args: tuple[Any, ...]

    def __new__(cls, template: str, *args: Any) -> Text:
        made = super().__new__(cls, template.format(*args))
        made.template, made.args = template, args
        return made


class DomainError(ValueError):
    """A rule of the domain refused the input."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


def line_field(index: int, name: str) -> str:
    """The field path of a line's attribute; ``index`` is 0-based."""
    return f"lines.{index}.{name}"


def line_label(index: int) -> str:
    """How a message names a line: 第1行 for index 0."""
    return Text("第{0}行", index + 1)
