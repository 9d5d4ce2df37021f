"""`facilitator hash-password`: the director password's scrypt hash, for the settings."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from rich.console import Console

from facilitator.cli.common import USER_ERROR


def register(sub: Any) -> None:
    hashpw = sub.add_parser("hash-password", help="print FACILITATOR_DIRECTOR_PASSWORD_HASH for a password")
    hashpw.set_defaults(func=cmd_hash_password)


def cmd_hash_password(args: argparse.Namespace) -> int:
    from facilitator.web.auth import hash_password

    password = getpass.getpass("Director password: ")
    if len(password) < 10:
        Console(stderr=True).print("use at least 10 characters")
        return USER_ERROR
    if getpass.getpass("Again: ") != password:
        Console(stderr=True).print("the two entries differ")
        return USER_ERROR
    print(f"FACILITATOR_DIRECTOR_PASSWORD_HASH={hash_password(password)}")
    return 0
