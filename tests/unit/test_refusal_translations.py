"""Every refusal the code can raise has its English: the message itself, or the template a
:class:`~fapiao.domain.errors.Text` is made from (the pages in English translate them)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fapiao.domain.verification import FIELD_LABELS, Outcome, mismatch_message

SRC = Path(__file__).resolve().parents[2] / "src" / "fapiao"
PO = SRC / "locale" / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _sources() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text("utf-8"))
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
    }


def _refusal_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """DomainError and every class that inherits from it, by name."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = {
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                }
                bases.setdefault(node.name, set()).update(names)
    found = {"DomainError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def refusal_messages() -> dict[str, str]:
    """Each message or template a refusal can carry, with where it is written."""
    trees = _sources()
    classes = _refusal_classes(trees)
    constants: dict[str, str] = {}
    for tree in trees.values():
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.endswith("_MESSAGE"):
                        constants[target.id] = node.value.value
    found: dict[str, str] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            )
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            first = node.args[0] if node.args else None
            if (name == "Text" and isinstance(first, ast.Constant)) or (
                name in classes and isinstance(first, ast.Constant) and isinstance(first.value, str)
            ):
                found[first.value] = where
            elif name in classes and isinstance(first, ast.Name) and first.id in constants:
                found[constants[first.id]] = where
            elif name in classes and isinstance(first, ast.JoinedStr):
                found[f"<an f-string: make it a Text> {ast.unparse(first)}"] = where
    for name, value in constants.items():  # the named messages, raised or shown
        found.setdefault(value, name)
    for outcome in Outcome:  # 查验 answers, shown on the public page
        found.setdefault(outcome.value, "Outcome")
    for field in FIELD_LABELS:
        found.setdefault(mismatch_message(field), "mismatch_message")
    return {message: where for message, where in found.items() if CJK.search(message)}


def _english() -> dict[str, str]:
    po = PO.read_text("utf-8")
    pairs = re.findall(r'msgid "((?:[^"\\]|\\.)*)"\nmsgstr "((?:[^"\\]|\\.)*)"', po)
    return {_unescape(msgid): _unescape(msgstr) for msgid, msgstr in pairs if msgid}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


def test_every_refusal_has_its_english() -> None:
    english = _english()
    missing = {m: w for m, w in refusal_messages().items() if not english.get(m)}
    assert missing == {}, "add these to django.po"


def test_the_translated_templates_keep_their_placeholders() -> None:
    english = _english()
    for message in refusal_messages():
        if message in english:
            wanted = sorted(re.findall(r"\{(\d+)", message))
            assert sorted(re.findall(r"\{(\d+)", english[message])) == wanted, message


def test_the_extraction_sees_templates_constants_and_plain_messages() -> None:
    messages = refusal_messages()
    assert "{0}：请填写金额，或同时填写单价和数量" in messages  # a Text template
    assert "发票库存不足，请领购发票" in messages  # a *_MESSAGE constant
    assert "红字发票不能作废" in messages  # a plain message
