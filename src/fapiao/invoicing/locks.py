"""The taxpayer's row lock: every write of a taxpayer (numbers, ledger, outbox) queues on it,
so that they follow one order."""

from __future__ import annotations

from collections.abc import Callable

from fapiao.core import fastsql
from fapiao.invoicing.models import Taxpayer


def taxpayer_lock(pk: int) -> Taxpayer:
    """The taxpayer row, locked until the transaction ends."""
    return taxpayer_lock_later(pk)()


def taxpayer_lock_later(pk: int) -> Callable[[], Taxpayer]:
    """:func:`taxpayer_lock` asked now and read by the function returned (in a pipeline, what
    is asked next runs as soon as the lock is granted, in the same round trip)."""
    read = fastsql.get_later(Taxpayer, lock=True, id=pk)

    def locked() -> Taxpayer:
        taxpayer = read()
        if taxpayer is None:
            raise Taxpayer.DoesNotExist(pk)
        return taxpayer

    return locked
