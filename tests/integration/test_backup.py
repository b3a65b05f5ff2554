"""Backups taken while invoices are issued, restored onto an empty installation (another
server's secret), checked against their manifest; refused when corrupted, truncated or made for
another key; and no number issued after an older backup is issued again."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client

from fapiao.backups import snapshot
from fapiao.backups.archive import BackupRefused, identities_of, keypair, open_archive
from fapiao.backups.models import Backup
from fapiao.backups.rounds import backup_round, rotate
from fapiao.backups.services import NOT_EMPTY, backup_create, backup_verify, heads, restore
from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Channel, Invoice, StockSegment, Taxpayer
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from fapiao.jobs.models import Job
from fapiao.security.audit import audit_verify
from fapiao.security.models import AuditEvent
from tests.integration.issue_worker import DRAFT
from tests.integration.test_authority_process import Authority, authority  # noqa: F401
from tests.integration.world import database_url, make_world

pytestmark = pytest.mark.django_db(transaction=True)
WORKER = Path(__file__).with_name("issue_worker.py")
PASSWORD = "Str0ng#Pass"


@pytest.fixture
def keys(tmp_path: Path) -> tuple[str, str, Path]:
    identity, recipient = keypair()
    path = tmp_path / "backup-identity.txt"
    path.write_text(identity + "\n")
    return identity, recipient, path


def issue(world: Any, count: int) -> list[Invoice]:
    """``count`` invoices on the world's device channel, as the database has it now."""
    taxpayer = Taxpayer.objects.get(pk=world.taxpayer.pk)
    channel = Channel.objects.get(pk=world.device.pk)
    draft = parse_draft(DRAFT)
    made = []
    for _ in range(count):
        made.append(invoice_issue(taxpayer=taxpayer, channel=channel, draft=draft,
                                  request_id=None, actor="clerk"))  # fmt: skip
    return made


def lose_everything() -> None:
    """The server is gone: a new installation's empty database (migrated, nothing in it)."""
    with transaction.atomic():
        for model in snapshot.snapshot_models():
            model._base_manager.all()._raw_delete("default")


def numbers() -> list[int]:
    return sorted(int(n) for n in Invoice.objects.values_list("number", flat=True))


def test_backup_while_issuing_then_restore_on_a_new_server(
    keys: tuple[str, str, Path], tmp_path: Path, settings: Any
) -> None:
    identity, recipient, _ = keys
    processes = 4 if connection.vendor == "postgresql" else 2
    world = make_world(tax_id="9132020013590404XW", region="42", stock=10_000, first=1)
    issue(world, 5)
    env = {**os.environ, "FAPIAO_DATABASE_URL": database_url()}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                str(world.taxpayer.pk),
                str(world.device.pk),
                "150",
                f"w{n}",
            ],
            env=env,
        )
        for n in range(processes)
    ]
    try:
        while Invoice.objects.count() < 40:
            time.sleep(0.02)
        backup = backup_create(destinations=[tmp_path / "disk1", tmp_path / "disk2"],
                               recipients=[recipient])  # fmt: skip
    finally:
        assert [w.wait(timeout=600) for w in workers] == [0] * processes
    taken = backup.counts["invoicing.invoice"]
    assert 40 <= taken < 5 + 150 * processes  # taken mid-way
    modes = [Path(p).stat().st_mode & 0o077 for p in backup.destinations]
    assert modes == [0, 0]  # written for the owner only
    assert len(backup.destinations) == 2 and backup.size > 0
    if connection.vendor == "postgresql":  # pg_dump's own copy of the same snapshot, beside
        unpacked = tmp_path / "unpacked"
        unpacked.mkdir()
        manifest = open_archive(Path(backup.destinations[0]), identities_of(identity), unpacked)
        assert manifest["native"]["file"] == "postgresql.dump"
        listing = subprocess.run(["pg_restore", "--list", str(unpacked / "postgresql.dump")],
                                 capture_output=True, text=True, check=True)  # fmt: skip
        assert "TABLE DATA public invoicing_invoice" in listing.stdout

    lose_everything()
    settings.SECRET_KEY = "another-server-another-secret"  # the keys are sealed again under it
    result = restore(Path(backup.destinations[1]), identity=identity)
    assert result.problems == [], result.problems
    assert Invoice.objects.count() == taken
    assert numbers() == list(range(1, taken + 1))  # a consistent cut: no gap, no half invoice
    assert snapshot.counts()["invoicing.invoice"] == result.manifest["counts"]["invoicing.invoice"]
    assert heads()["history"] == result.manifest["heads"]["history"]
    taxpayer = Taxpayer.objects.get(pk=world.taxpayer.pk)
    assert ledger_verify(taxpayer) == [] and audit_verify() == []
    carried_on = issue(world, 1)[0]  # signed with the restored key, sealed under the new secret
    assert int(carried_on.number) == taken + 1 and carried_on.signature
    assert ledger_verify(taxpayer) == []


def test_what_is_refused_writes_nothing(
    keys: tuple[str, str, Path], tmp_path: Path, settings: Any
) -> None:
    identity, recipient, _ = keys
    world = make_world(stock=100, first=1)
    issue(world, 3)
    backup = backup_create(destinations=[tmp_path], recipients=[recipient])
    archive = Path(backup.destinations[0])
    with pytest.raises(BackupRefused, match="已有数据"):
        restore(archive, identity=identity)  # onto a server that holds data
    assert NOT_EMPTY.startswith("目标数据库中已有数据")

    data = archive.read_bytes()
    corrupted = tmp_path / "corrupted.age"
    corrupted.write_bytes(data[:4000] + bytes([data[4000] ^ 1]) + data[4001:])
    truncated = tmp_path / "truncated.age"
    truncated.write_bytes(data[: len(data) // 2])
    lose_everything()
    before = snapshot.counts()
    cases = [
        (corrupted, identity, "已损坏"),
        (truncated, identity, "已损坏或被截断"),
        (archive, keypair()[0], "不是用此私钥对应的公钥加密的"),
        (tmp_path / "none.age", identity, "不存在"),
        (archive, "not a key", "没有有效的私钥"),
    ]
    for path, key, message in cases:
        with pytest.raises(BackupRefused, match=message):
            restore(path, identity=key)
        assert snapshot.counts() == before  # nothing written
    assert not any((Path(settings.VAR_DIR) / "tmp").iterdir())  # no plaintext left behind
    assert restore(archive, identity=identity).ok  # the good one still restores


def test_an_older_backup_never_issues_a_number_the_authority_has_seen(
    keys: tuple[str, str, Path],
    tmp_path: Path,
    authority: Authority,  # noqa: F811
) -> None:
    identity, recipient, _ = keys
    world = make_world(stock=100, first=1)
    issue(world, 3)
    assert upload_flush().accepted == 3
    backup = backup_create(destinations=[tmp_path], recipients=[recipient])
    issue(world, 4)  # numbers 4..7, uploaded, then the server is lost
    assert upload_flush().accepted == 4

    lose_everything()
    result = restore(Path(backup.destinations[0]), identity=identity)
    assert result.numbering["after_snapshot"] == 4
    assert [i["number"] for i in result.numbering["invoices"]] == [f"{n:08d}" for n in (4, 5, 6, 7)]
    assert result.numbering["segments_moved"] == 1 and result.problems == []
    # brought back from what the authority kept, signature and all
    assert result.numbering["recovered"] == 4 and result.numbering["not_recovered"] == []
    assert numbers() == [1, 2, 3, 4, 5, 6, 7]
    assert set(Invoice.objects.filter(number__gte="00000004").values_list("status", flat=True)) == {
        "uploaded"
    }
    segment = StockSegment.objects.get(channel_id=world.device.pk, kind=DRAFT["kind"])
    assert segment.next_number == 8
    taxpayer = Taxpayer.objects.get(pk=world.taxpayer.pk)
    assert issue(world, 1)[0].number == "00000008"  # not 4 again
    assert ledger_verify(taxpayer) == []  # the skipped numbers are on the history


def test_verify_restores_into_a_scratch_database_and_leaves_the_live_one(
    keys: tuple[str, str, Path], tmp_path: Path
) -> None:
    _, recipient, identity_file = keys
    world = make_world(stock=100, first=1)
    issue(world, 2)
    backup = backup_create(destinations=[tmp_path], recipients=[recipient])
    before = snapshot.counts()
    result = backup_verify(Path(backup.destinations[0]), identity_file=identity_file, backup=backup)
    assert result.ok, result.problems
    assert snapshot.counts() == before
    backup.refresh_from_db()
    assert backup.verified is True and backup.verified_at is not None

    other = keypair()[0]
    (tmp_path / "other.txt").write_text(other)
    failed = backup_verify(Path(backup.destinations[0]), identity_file=tmp_path / "other.txt",
                           backup=backup)  # fmt: skip
    assert not failed.ok and "私钥" in failed.problems[0]


def test_the_rotation_deletes_the_files_it_no_longer_keeps(
    keys: tuple[str, str, Path], tmp_path: Path, settings: Any
) -> None:
    _, recipient, _ = keys
    settings.FAPIAO_BACKUP_KEEP = "2,0,0"
    made = []
    for day in range(4):
        backup = backup_create(destinations=[tmp_path], recipients=[recipient], trigger="schedule")
        Backup.objects.filter(pk=backup.pk).update(
            started_at=backup.started_at.replace(day=1 + day), name=f"b{day}"
        )
        made.append(backup)
    assert rotate() == 2
    kept = Backup.objects.filter(deleted_at__isnull=True).order_by("started_at")
    assert [b.name for b in kept] == ["b2", "b3"]
    assert [Path(b.destinations[0]).exists() for b in made] == [False, False, True, True]


def test_the_page_shows_backups_and_only_the_operator_downloads_them(
    keys: tuple[str, str, Path], tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    _, recipient, _ = keys
    monkeypatch.setenv("FAPIAO_BACKUP_RECIPIENTS", recipient)
    world = make_world(stock=10, first=1)
    backup = backup_create(destinations=[tmp_path / "b"], recipients=[recipient])
    admin = user_create(username="guanli", password=PASSWORD)
    role_grant(user=admin, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.post("/accounts/login/", {"username": "guanli", "password": PASSWORD})
    page = client.get("/settings/backups/").content.decode()
    assert backup.name in page and "只有系统运维人员" in page and "/download" not in page
    assert client.get(f"/settings/backups/{backup.pk}/download").status_code == 404
    assert client.post("/settings/backups/now").status_code == 404

    admin.is_superuser = True
    admin.save()
    page = client.get("/settings/backups/").content.decode()
    assert f"/settings/backups/{backup.pk}/download" in page
    answer = client.get(f"/settings/backups/{backup.pk}/download")
    assert b"".join(answer.streaming_content) == Path(backup.destinations[0]).read_bytes()
    assert AuditEvent.objects.filter(type="backup.downloaded", actor="guanli").exists()
    client.post("/settings/backups/now")
    assert Job.objects.filter(kind="backup.create").exists()

    clerk = Client(HTTP_HOST="localhost")  # not a 管理员: not even the list
    user_create(username="kaipiao", password=PASSWORD)
    role_grant(user=get_user_model().objects.get(username="kaipiao"), role=Role.ISSUER,
               taxpayer=world.taxpayer, actor="root")  # fmt: skip
    clerk.post("/accounts/login/", {"username": "kaipiao", "password": PASSWORD})
    assert clerk.get("/settings/backups/").status_code == 403


@pytest.mark.skipif(not os.environ.get("FAPIAO_TEST_PG_URL"), reason="needs a PostgreSQL server")
def test_sqlite_to_postgresql_and_back(keys: tuple[str, str, Path], tmp_path: Path) -> None:
    """The other engine in processes of their own: restore there, back up there, and restore
    that backup onto a third, empty SQLite installation."""
    import psycopg

    _, recipient, identity_file = keys
    world = make_world(stock=50, first=1)
    issue(world, 6)
    first = backup_create(destinations=[tmp_path], recipients=[recipient])
    server = os.environ["FAPIAO_TEST_PG_URL"].rsplit("/", 1)[0]
    scratch = f"fapiao_restore_{os.getpid()}"
    here_is_pg = connection.vendor == "postgresql"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        other = f"sqlite:///{tmp_path}/other.sqlite3" if here_is_pg else f"{server}/{scratch}"
        last = f"sqlite:///{tmp_path}/last.sqlite3"

        def fapiao(url: str, *args: str) -> dict[str, Any]:
            env = {**os.environ, "FAPIAO_DATABASE_URL": url, "FAPIAO_VAR_DIR": str(tmp_path),
                   "FAPIAO_SECRET_KEY": f"secret-of-{url}"}  # fmt: skip
            command = [sys.executable, "-m", "fapiao", *args, "--json"]
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600,
                                  check=False)  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            return dict(json.loads(done.stdout))

        there = fapiao(other, "restore", first.destinations[0], "--identity", str(identity_file),
                       "--no-renumber")  # fmt: skip
        assert there["ok"] and there["manifest"]["counts"] == first.counts
        again = fapiao(other, "backup", "create", "--recipient", recipient, "--to",
                       str(tmp_path / "from-other"))  # fmt: skip
        back = fapiao(last, "restore", again["destinations"][0], "--identity", str(identity_file),
                      "--no-renumber")  # fmt: skip
        assert back["ok"] and back["manifest"]["engine"] == (
            "sqlite" if here_is_pg else "postgresql"
        )
        counts = back["manifest"]["counts"]
        assert counts["invoicing.invoice"] == 6
        assert back["manifest"]["heads"]["history"] == heads()["history"]
        # the same rows, but for the restore there, which its own audit log records
        assert counts["security.auditevent"] == first.counts["security.auditevent"] + 1
        own = {"backups.backup", "security.auditevent", "security.audithead"}
        assert {k: v for k, v in counts.items() if k not in own} == {
            k: v for k, v in first.counts.items() if k not in own
        }
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def test_the_nightly_round_backs_up_once_a_night_and_verifies_it(
    keys: tuple[str, str, Path], tmp_path: Path, monkeypatch: Any
) -> None:
    _, recipient, identity_file = keys
    assert backup_round() == 0  # no recipients: nothing is made
    monkeypatch.setenv("FAPIAO_BACKUP_RECIPIENTS", recipient)
    monkeypatch.setenv("FAPIAO_BACKUP_DIRS", f"{tmp_path}/a,{tmp_path}/b")
    monkeypatch.setenv("FAPIAO_BACKUP_IDENTITY_FILE", str(identity_file))
    make_world(stock=10, first=1)
    assert backup_round() == 1
    assert backup_round() == 0  # once a night
    made = Backup.objects.get()
    assert made.trigger == "schedule" and made.verified is True
    assert [Path(p).parent.name for p in made.destinations] == ["a", "b"]


def test_a_registry_record_that_does_not_verify_is_not_brought_back(
    keys: tuple[str, str, Path],
    tmp_path: Path,
    authority: Authority,  # noqa: F811
) -> None:
    identity, recipient, _ = keys
    world = make_world(stock=100, first=1)
    issue(world, 2)
    upload_flush()
    backup = backup_create(destinations=[tmp_path], recipients=[recipient])
    issue(world, 2)  # 3 and 4
    upload_flush()
    with sqlite3.connect(authority.database) as registry:  # someone edits what was kept
        registry.execute(
            'UPDATE authority_registryinvoice SET content = replace(content, \'"drawer":"\', '
            "'\"drawer\":\"X') WHERE number = '00000004'"
        )
    lose_everything()
    result = restore(Path(backup.destinations[0]), identity=identity)
    assert result.numbering["recovered"] == 1
    assert "签名不符" in result.numbering["not_recovered"][0]
    assert numbers() == [1, 2, 3]  # 4 is not stored from a record that does not verify ...
    segment = StockSegment.objects.get(channel_id=world.device.pk, kind=DRAFT["kind"])
    assert segment.next_number == 5  # ... and never issued again
    assert ledger_verify(Taxpayer.objects.get(pk=world.taxpayer.pk)) == []
