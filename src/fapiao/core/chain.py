"""Hash chains: the walk shared by the invoice history and the audit log."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

GENESIS = "0" * 64


def walk_chain(
    rows: Iterable[Any], hash_of: Callable[[Any], str], head: tuple[int, str]
) -> Iterator[tuple[Any, list[str]]]:
    """Each row of a hash chain (in sequence order) with what is wrong with it, then, as a last
    ``(None, problems)``, whether ``head`` (last sequence, last hash) still names the end.

    Shared by the invoice history and the audit log: a changed row breaks its own hash, a
    removed or inserted one breaks the sequence and the link to the next, a removed tail
    breaks the head."""
    previous, expected = GENESIS, 1
    for row in rows:
        problems = []
        if row.sequence != expected:
            problems.append(f"缺少事件#{expected}")
        if row.previous_hash != previous:
            problems.append("与前一事件的哈希不衔接")
        if hash_of(row) != row.hash:
            problems.append("事件内容被修改")
        previous, expected = row.hash, row.sequence + 1
        yield row, problems
    yield None, [] if head == (expected - 1, previous) else ["最后的事件被删除或链头被修改"]
