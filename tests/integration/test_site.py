"""The Django project on a real database: settings, migrations, the plain site."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_database_is_the_one_configured() -> None:
    url = os.environ.get("FAPIAO_DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_health_reports_database_and_local_time() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == connection.vendor
    assert body["database_ok"] is True
    assert body["time"].endswith("+08:00")


def test_home_page_is_chinese() -> None:
    response = Client().get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Fapiao 开票系统" in text
    for section in ("发票管理", "报表查询", "申报与清卡", "进项与报销", "系统设置"):
        assert section in text


def test_settings_are_chinese_and_shanghai() -> None:
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert ("en", "English") in settings.LANGUAGES


def test_passwords_are_hashed_with_argon2(django_user_model: type) -> None:
    user = django_user_model.objects.create_user("clerk", password="Kaipiao#2026")
    assert user.password.startswith("argon2$")
    assert user.check_password("Kaipiao#2026")


def test_secret_key_is_generated_once_into_var(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "FAPIAO_SECRET_KEY"}
    environment["FAPIAO_VAR_DIR"] = str(tmp_path)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    run = [
        sys.executable,
        "-c",
        f"import django, os; os.environ.setdefault("
        f"'DJANGO_SETTINGS_MODULE', 'fapiao.settings'); django.setup(); {code}",
    ]
    first = subprocess.run(run, env=environment, capture_output=True, text=True, check=True)
    second = subprocess.run(run, env=environment, capture_output=True, text=True, check=True)
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first.stdout.strip() == second.stdout.strip()
    assert len(first.stdout.strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
    environment["FAPIAO_SECRET_KEY"] = "from-the-environment"
    third = subprocess.run(run, env=environment, capture_output=True, text=True, check=True)
    assert third.stdout.strip() == "from-the-environment"


def test_fapiao_command_runs_django_management(tmp_path: Path) -> None:
    environment = {**os.environ, "FAPIAO_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "fapiao", "check"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
