"""A real IMAP server for the tests: Dovecot, run from its Debian package with a configuration
of its own on a free loopback port, one user with a Maildir in a temporary folder."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

USER, PASSWORD = "fapiao@example.cn", "Imap#Secret1"
CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class Imap:
    port: int
    root: Path

    @property
    def url(self) -> str:
        user, password = quote(USER, safe=""), quote(PASSWORD, safe="")
        return f"imap://{user}:{password}@127.0.0.1:{self.port}/INBOX"

    def deliver(self, message: bytes) -> None:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(USER, PASSWORD)
        connection.append("INBOX", None, None, message)
        connection.logout()

    def unseen(self) -> int:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(USER, PASSWORD)
        connection.select("INBOX")
        found = connection.search(None, "UNSEEN")[1][0].split()
        connection.logout()
        return len(found)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def imap() -> Iterator[Imap]:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.path.exists(binary):
        pytest.fail("Dovecot is not installed: run make test-packages")
    # a folder of its own that Dovecot's user may enter (pytest's own are the owner's only)
    root = Path(tempfile.mkdtemp(prefix="fapiao-imap-"))
    root.chmod(0o755)
    (root / "mail").mkdir(parents=True)
    # Dovecot serves no mail as root: the package's own user owns the mail when we are root
    owner = pwd.getpwnam("dovecot") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(root=root, port=port, uid=owner.pw_uid, gid=owner.pw_gid)
    )
    server = subprocess.Popen(
        [binary, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log = (
                        (root / "dovecot.log").read_text()
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    pytest.fail(f"Dovecot did not start: {log[-500:]}")
                time.sleep(0.1)
        yield Imap(port, root)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
