"""Backups (a consistent snapshot taken while the system runs, encrypted, written to one or more
places) and restores (onto an empty installation of the same or a newer version, on either
engine), each checked against its manifest."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend
from django.utils import timezone

from fapiao.authority import checking, keyring
from fapiao.backups import snapshot
from fapiao.backups.archive import (
    FORMAT,
    MANIFEST,
    BackupRefused,
    identities_of,
    open_archive,
    recipients_of,
    seal_folder,
)
from fapiao.backups.models import Backup
from fapiao.backups.renumber import renumber
from fapiao.core import fastsql
from fapiao.domain.errors import Text
from fapiao.invoicing import keys as signing_keys
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Event, Invoice, Taxpayer
from fapiao.security.audit import audit_append, audit_verify
from fapiao.security.models import AuditHead

SNAPSHOT_ALIAS = "backup_snapshot"
SHOWN = 20  # problems named per taxpayer
NOT_EMPTY = "目标数据库中已有数据：恢复只能在空的系统上进行（确需覆盖请加 --force）"


def destinations_default() -> list[Path]:
    text = os.environ.get("FAPIAO_BACKUP_DIRS", "").strip()
    if text:
        return [Path(p).expanduser() for p in text.split(",") if p.strip()]
    return [Path(settings.VAR_DIR) / "backups"]


def recipients_default() -> list[str]:
    return [r for r in os.environ.get("FAPIAO_BACKUP_RECIPIENTS", "").split(",") if r.strip()]


def heads(*, using: str = "default") -> dict[str, Any]:
    """The end of each taxpayer's history and of the audit log: what a restore must reach."""
    ends = {}
    for taxpayer_id in Taxpayer.objects.using(using).values_list("pk", flat=True):
        last = Event.objects.using(using).filter(taxpayer_id=taxpayer_id).order_by("-sequence")
        event = last.values("sequence", "hash").first()
        ends[str(taxpayer_id)] = [event["sequence"], event["hash"]] if event else [0, ""]
    audit = AuditHead.objects.using(using).filter(pk=1).values("sequence", "head").first()
    return {"history": ends, "audit": [audit["sequence"], audit["head"]] if audit else [0, ""]}


def _migrations(using: str) -> list[list[str]]:
    applied = MigrationRecorder(connections[using]).applied_migrations()
    return sorted([app, name] for app, name in applied)


def _take(folder: Path) -> dict[str, Any]:
    """Dump the database into ``folder`` from one consistent view of it."""
    if connection.vendor == "sqlite":
        # SQLite's online backup copies the live file page by page while issuers go on writing
        copy = folder.parent / "snapshot.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(copy)
        connection.connection.backup(target)
        target.close()
        # the copy read through a connection of its own, made and opened here, then named
        wrapper = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(
            {**connection.settings_dict, "NAME": str(copy), "OPTIONS": {}}, SNAPSHOT_ALIAS
        )
        wrapper.ensure_connection()
        connections[SNAPSHOT_ALIAS] = wrapper
        try:
            return _dump(folder, SNAPSHOT_ALIAS)
        finally:
            wrapper.close()
            del connections[SNAPSHOT_ALIAS]
            copy.unlink(missing_ok=True)
    with transaction.atomic():  # PostgreSQL: one repeatable-read transaction, as pg_dump takes
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            exported = cursor.fetchone()[0]
        # pg_dump's own copy of the very same snapshot, beside the engine-neutral tables
        return {**_dump(folder, "default"), "native": _pg_dump(folder, exported)}


def _pg_dump(folder: Path, exported: str) -> dict[str, str] | None:
    """``pg_dump --format=custom`` of the snapshot ``exported`` (for ``pg_restore`` onto
    PostgreSQL); None when pg_dump is not installed."""
    program = shutil.which("pg_dump")
    if program is None:
        return None
    db = connection.settings_dict
    out = folder / "postgresql.dump"
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    done = subprocess.run(  # noqa: S603 - pg_dump with arguments we made
        [program, "--format=custom", f"--snapshot={exported}", "--no-owner", f"--file={out}",
         f"--host={db.get('HOST') or 'localhost'}", f"--port={db.get('PORT') or 5432}",
         f"--username={db.get('USER') or ''}", str(db["NAME"])],
        env=env, capture_output=True, text=True, timeout=6 * 3600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise BackupRefused(Text("pg_dump 未能完成：{0}", last), field="database")
    version = subprocess.run([program, "--version"], capture_output=True, text=True,  # noqa: S603
                             check=False, timeout=60).stdout.strip()  # fmt: skip
    return {"file": out.name, "sha256": snapshot.file_sha256(out), "pg_dump": version}


def _dump(folder: Path, using: str) -> dict[str, Any]:
    return {
        "taken_at": timezone.now().isoformat(), "tables": snapshot.dump(folder, using=using),
        "migrations": _migrations(using), "heads": heads(using=using),
    }  # fmt: skip


def backup_create(
    *, destinations: list[Path] | None = None, recipients: list[str] | None = None,
    trigger: str = "manual", actor: str = "system",
) -> Backup:  # fmt: skip
    """One backup, written to every destination (atomically: a half-written file never has
    the final name); its row says where, how big and how long."""
    keys = recipients_of(recipients if recipients is not None else recipients_default())
    places = destinations or destinations_default()
    started, clock = timezone.now(), time.monotonic()
    local = timezone.localtime(started)
    name = f"fapiao-{local:%Y%m%d-%H%M%S}-{local.microsecond // 1000:03d}.age"
    work_root = Path(settings.VAR_DIR) / "tmp"
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_root) as tmp:
        os.chmod(tmp, 0o700)
        folder = Path(tmp) / "data"
        folder.mkdir()
        taken = _take(folder)
        manifest = {
            "format": FORMAT, "created_at": started.isoformat(), **taken,
            "engine": connection.vendor,
            "versions": {"fapiao": version("fapiao"), "django": django.get_version()},
            "counts": {label: t["rows"] for label, t in taken["tables"].items()},
        }  # fmt: skip
        (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        sealed = Path(tmp) / name
        seal_folder(folder, sealed, keys)
        written = []
        for place in places:
            place.mkdir(parents=True, exist_ok=True)
            partial = place / f".{name}.part"
            shutil.copyfile(sealed, partial)
            os.chmod(partial, 0o600)  # it holds every taxpayer's data and signing keys
            os.replace(partial, place / name)
            written.append(str(place / name))
        size, digest = sealed.stat().st_size, snapshot.file_sha256(sealed)
    backup = Backup.objects.create(
        name=name, trigger=trigger, started_at=started, seconds=time.monotonic() - clock,
        size=size, sha256=digest, destinations=written, counts=manifest["counts"],
    )  # fmt: skip
    audit_append("backup.created", actor=actor,
                 payload={"name": name, "size": size, "destinations": written})  # fmt: skip
    return backup


@dataclass
class Restored:
    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    numbering: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # by step

    @property
    def ok(self) -> bool:
        return not self.problems


def _empty() -> bool:
    return not (
        get_user_model().objects.exists() or Taxpayer.objects.exists() or Invoice.objects.exists()
    )


def _check_files(folder: Path, manifest: dict[str, Any]) -> None:
    native = manifest.get("native")
    if native and snapshot.file_sha256(folder / native["file"]) != native["sha256"]:
        raise BackupRefused("备份文件中的 PostgreSQL 转储与清单不符", field="archive")
    for label, table in manifest["tables"].items():
        path = folder / table["file"]
        if not path.is_file() or snapshot.file_sha256(path) != table["sha256"]:
            raise BackupRefused(Text("备份文件中的数据表{0}与清单不符", label), field="archive")


def _check_version(manifest: dict[str, Any]) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"] if (app, name) not in known]
    if unknown:
        raise BackupRefused(
            Text("备份来自更新的版本（{0}），请先升级本系统再恢复：{1}",
                 manifest["versions"]["fapiao"], "、".join(unknown[:3])),
            field="archive",
        )  # fmt: skip


def restore(
    archive: Path, *, identity: str, force: bool = False, authority: Any = None,
    renumbering: bool = True,
) -> Restored:  # fmt: skip
    """Restore ``archive`` into this installation's database: refused onto one that holds data
    unless ``force``; then the history and the audit log are verified and the counts and
    heads compared with the manifest, and every number the authority has seen issued after
    the snapshot is put behind the counters (``authority``: the registry's client)."""
    keys = identities_of(identity)
    clock = {"start": time.monotonic()}
    work_root = Path(settings.VAR_DIR) / "tmp"
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_root) as tmp:
        os.chmod(tmp, 0o700)
        folder = Path(tmp)
        manifest = open_archive(archive, keys, folder)
        _check_files(folder, manifest)
        _check_version(manifest)
        clock["opened"] = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        clock["migrated"] = time.monotonic()
        if not force and not _empty():
            raise BackupRefused(NOT_EMPTY, field="archive")
        with transaction.atomic():
            snapshot.load(folder, manifest["tables"])
    forgetting = (signing_keys.keys_forget, keyring.keys_forget, checking.keys_forget,
                  fastsql.keys_forget)  # fmt: skip
    for forget in forgetting:
        forget()  # this process's copies of the rows just replaced
    clock["loaded"] = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)  # a newer version's own steps
    result = Restored(manifest=manifest)
    result.problems += _compare(manifest)
    clock["checked"] = time.monotonic()
    steps = list(clock.items())
    result.seconds = {name: round(at - steps[i][1], 2) for i, (name, at) in enumerate(steps[1:])}
    if renumbering:
        result.numbering = renumber(authority)
        result.problems += result.numbering.get("problems", [])
    audit_append("backup.restored", actor="system",
                 payload={"archive": archive.name, "created_at": manifest["created_at"],
                          "ok": result.ok})  # fmt: skip
    return result


def _compare(manifest: dict[str, Any]) -> list[str]:
    problems = []
    now = snapshot.counts()
    for label, expected in manifest["counts"].items():
        if label in now and label != "security.auditevent" and now[label] != expected:
            problems.append(f"{label}：恢复后 {now[label]} 行，备份中 {expected} 行")
    found = heads()
    if found["history"] != manifest["heads"]["history"]:
        problems.append("发票历史记录的末端与备份清单不符")
    if found["audit"] != manifest["heads"]["audit"]:
        problems.append("审计日志的末端与备份清单不符")
    for taxpayer in Taxpayer.objects.order_by("pk"):
        found_there = ledger_verify(taxpayer)
        problems += [f"{taxpayer} {p.where}：{p.what}" for p in found_there[:SHOWN]]
        if len(found_there) > SHOWN:
            problems.append(
                f"{taxpayer}：另有{len(found_there) - SHOWN}处问题，请运行 fapiao ledger verify"
            )
    problems += [f"审计日志 {where}：{what}" for where, what in audit_verify()]
    return problems


def backup_verify(archive: Path, *, identity_file: Path, backup: Backup | None = None) -> Restored:
    """Restore ``archive`` into a scratch SQLite database in a separate process (the live
    database is not touched) and check it as :func:`restore` does; records the outcome on
    ``backup``."""
    with tempfile.TemporaryDirectory(dir=Path(settings.VAR_DIR)) as scratch:
        env = {
            **os.environ, "FAPIAO_DATABASE_URL": f"sqlite:///{scratch}/verify.sqlite3",
            "FAPIAO_VAR_DIR": scratch, "FAPIAO_SECRET_KEY": settings.SECRET_KEY,
        }  # fmt: skip
        child = subprocess.run(  # noqa: S603 - our own command, arguments we made
            [sys.executable, "-m", "fapiao", "restore", str(archive), "--identity",
             str(identity_file), "--no-renumber", "--json"],
            env=env, capture_output=True, text=True, timeout=6 * 3600, check=False,
        )  # fmt: skip
    try:
        answer = json.loads(child.stdout)
    except ValueError:
        answer = {"ok": False, "problems": [child.stderr.strip().splitlines()[-1:] or ["?"]]}
    problems = answer.get("problems") or ([] if answer.get("ok") else [answer.get("message", "")])
    result = Restored(manifest=answer.get("manifest", {}), problems=[str(p) for p in problems])
    if backup is not None:
        backup.verified_at, backup.verified = timezone.now(), result.ok
        backup.verify_message = "；".join(result.problems)[:2000]
        backup.save(update_fields=["verified_at", "verified", "verify_message"])
    return result
