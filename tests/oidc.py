"""A real OpenID Connect provider (django-oauth-toolkit, ``tests/oidc_provider``) in a second
process on loopback, and a person signing in at it with a browser-like session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "fapiao-client"
CLIENT_SECRET = "fapiao-client-secret"
PEOPLE = {  # username: (password, e-mail, verified?)
    "alice": ("alice-sso-pass", "alice@example.com", True),
    "bob": ("bob-sso-pass", "bob@example.com", True),
    "mallory": ("mallory-sso-pass", "victim@example.com", False),
    "carol": ("carol-sso-pass", "carol@example.com", True),
}
SETUP = """
from django.contrib.auth.models import User
from oauth2_provider.models import Application
for name, (password, email, verified) in {people!r}.items():
    User.objects.create_user(name, email, password, first_name=name.title(),
                             last_name="" if verified else "unverified")
Application.objects.create(
    name="Fapiao", client_id={client_id!r}, client_secret={secret!r},
    client_type="confidential", authorization_grant_type="authorization-code",
    redirect_uris="", algorithm="RS256", skip_authorization=True,
)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Provider:
    url: str  # the issuer, e.g. http://127.0.0.1:40123/o
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def manage(self, code: str) -> None:
        """Run ``code`` in the provider's own Django (its database, its models)."""
        subprocess.run(
            [sys.executable, "-m", "django", "shell", "-c", code],
            env=self.env, cwd=ROOT, check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def allow(self, *redirect_uris: str) -> None:
        uris = " ".join(redirect_uris)
        self.manage(
            "from oauth2_provider.models import Application\n"
            f"Application.objects.filter(client_id={CLIENT_ID!r}).update(redirect_uris={uris!r})"
        )

    def expire_codes(self) -> None:
        """Every authorization code issued so far expires now."""
        self.manage(
            "from datetime import timedelta\nfrom django.utils import timezone\n"
            "from oauth2_provider.models import Grant\n"
            "Grant.objects.update(expires=timezone.now() - timedelta(seconds=1))"
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def app_settings(self, **extra: Any) -> dict[str, Any]:
        """allauth's SOCIALACCOUNT_PROVIDERS entry for this provider."""
        return {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [{
            "provider_id": "sso", "name": "示例集团统一身份认证", "client_id": CLIENT_ID,
            "secret": CLIENT_SECRET, "settings": {"server_url": self.url, **extra},
        }]}}  # fmt: skip


def provider_start(state: Path) -> Provider:
    state.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (state / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DIR": str(state), "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    for name in ("FAPIAO_DATABASE_URL", "FAPIAO_SETTINGS"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
                   env=env, cwd=ROOT, check=True, timeout=120)  # fmt: skip
    setup = SETUP.format(people=PEOPLE, client_id=CLIENT_ID, secret=CLIENT_SECRET)
    subprocess.run([sys.executable, "-m", "django", "shell", "-c", setup],
                   env=env, cwd=ROOT, check=True, timeout=60)  # fmt: skip
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "--threads", "4",
         "--log-level", "warning", "tests.oidc_provider.wsgi"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/o"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/.well-known/openid-configuration", timeout=2).ok:
                return Provider(url=url, process=process, env=env)
        except requests.ConnectionError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the OpenID Connect provider did not start")


def sign_in_at_provider(authorize_url: str, username: str, *, back_to: str) -> str:
    """A person's browser at the provider: open the authorization address, sign in, and come
    back; returns the address on our side the provider sends them to (``back_to`` prefix)."""
    browser = requests.Session()
    location = authorize_url
    for _ in range(10):
        answer = browser.get(location, allow_redirects=False, timeout=10)
        if answer.status_code == 200 and "csrfmiddlewaretoken" in answer.text:
            token = browser.cookies["csrftoken"]
            next_url = urlsplit(location).query.partition("next=")[2]
            answer = browser.post(
                location, allow_redirects=False, timeout=10,
                data={"csrfmiddlewaretoken": token, "username": username,
                      "password": PEOPLE[username][0],
                      "next": requests.utils.unquote(next_url)},
                headers={"Referer": location},
            )  # fmt: skip
        assert answer.status_code in (301, 302), (answer.status_code, answer.text[:500])
        location = urljoin(location, answer.headers["Location"])
        if location.startswith(back_to):
            return location
    raise AssertionError("the provider never sent the person back")
