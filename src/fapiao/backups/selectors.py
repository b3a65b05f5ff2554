from __future__ import annotations

from pathlib import Path

from fapiao.backups.models import Backup


def backup_file(backup: Backup) -> Path | None:
    """The first of the backup's copies still on disk."""
    return next((Path(p) for p in backup.destinations if Path(p).is_file()), None)
