"""The ``fapiao`` command: Django's management commands under the project's own name.

``fapiao migrate``, ``fapiao runserver``, and every command the apps add.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fapiao", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
