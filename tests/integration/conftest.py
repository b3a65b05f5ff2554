"""Integration tests run twice: on SQLite, and on PostgreSQL when FAPIAO_DATABASE_URL names it.

When PostgreSQL is asked for but cannot be reached, every test is skipped with the reason, or
the run fails at once when FAPIAO_REQUIRE_PG=1 (as CI sets it).
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings


def _postgres_unreachable() -> str | None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return None
    import psycopg

    try:
        psycopg.connect(
            host=database["HOST"],
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"],
            dbname=database["NAME"],
            connect_timeout=5,
        ).close()
    except psycopg.Error as error:
        return f"PostgreSQL at {database['HOST']}:{database['PORT']} unreachable: {error}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _postgres_unreachable()
    if reason is None:
        return
    if os.environ.get("FAPIAO_REQUIRE_PG") == "1":
        raise pytest.UsageError(f"FAPIAO_REQUIRE_PG=1 but {reason}")
    for item in items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _own_var_dir(settings: object, tmp_path: os.PathLike[str]) -> None:
    """Each test keeps its rendered documents and other local state to itself (the worker's
    pause after an unreachable authority too)."""
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    from fapiao.invoicing import numbers

    numbers._paused_until[0] = 0.0


@pytest.fixture(autouse=True)
def _forget_cached_rows() -> object:
    """Rows a process caches because they never change (signing keys): a test that rolls back
    takes its rows away and the next one gets the same ids again, so each starts without them."""
    yield None
    from fapiao.authority import checking, keyring
    from fapiao.invoicing import keys

    keys._KEYS.clear()
    keyring._key_id.cache_clear()
    keyring._key.cache_clear()
    checking._taxpayer_key.cache_clear()
