"""Reading the files a plan names, safely: the roster beside the plan, and text in whatever encoding.

A plan may come from a web upload, so the roster path in it is hostile until proven otherwise:
it must name a regular file inside the plan's own folder (no absolute path, no `..`, no symlink
that leads out, no device such as `/dev/zero`), no larger than MAX_ROSTER_BYTES. Nothing of a
refused file is ever quoted back. Spreadsheet exports come in several encodings; UTF-8 (with or
without a byte-order mark) and UTF-16 with a byte-order mark are read as such, and Windows-1252
(what Excel's plain "CSV" writes) when it decodes to printable text; anything else is refused
with the exact way to save the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

MAX_ROSTER_BYTES = 2 * 1024 * 1024
"""A roster of 1,000 students (Zoom's pre-assignment limit) is about 60 KiB; 2 MiB leaves room."""

SAVE_CSV_HINT = 'save it as "CSV UTF-8 (comma delimited)" (Excel: File > Save As > CSV UTF-8)'
SAVE_PLAN_HINT = "save it as UTF-8 text (most editors: Save As > Encoding: UTF-8)"


class FileProblem(Exception):
    """A file cannot be used; the message says why without quoting its contents."""


def read_capped(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of `path`; FileProblem when there is more (reads no further)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileProblem(f"is larger than the limit of {limit // 1024:,} KiB")
    return data


def confined_roster(base_dir: Path, name: str) -> Path:
    """The roster `name` resolved inside `base_dir`, or FileProblem saying what is not allowed."""
    if not name.strip() or "\x00" in name:
        raise FileProblem("is not a file name")
    if (
        PurePosixPath(name).is_absolute()
        or PureWindowsPath(name).is_absolute()
        or PureWindowsPath(name).drive
    ):
        raise FileProblem("must be a file name relative to the plan's folder, not an absolute path")
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise FileProblem("must stay inside the plan's folder (`..` is not allowed)")
    base = base_dir.resolve()
    try:
        target = (base / name).resolve(strict=True)
    except FileNotFoundError:
        raise FileProblem("does not exist; the path is relative to the plan file") from None
    except (OSError, RuntimeError):
        raise FileProblem("cannot be opened") from None
    if not target.is_relative_to(base):
        raise FileProblem(
            "leads outside the plan's folder (through a symbolic link); copy the file beside the plan"
        )
    try:
        mode = os.stat(target).st_mode
    except OSError:
        raise FileProblem("cannot be opened") from None
    if not stat.S_ISREG(mode):
        raise FileProblem("is not a regular file")
    return target


def decode_text(data: bytes, how_to_save: str) -> str:
    """Text from bytes in UTF-8, UTF-16 with a byte-order mark, or plain Windows-1252; else FileProblem."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileProblem(f"is not readable UTF-16 text; {how_to_save}") from None
    if b"\x00" in data:
        raise FileProblem(f"looks like UTF-16 text without a byte-order mark; {how_to_save}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileProblem(f"is not UTF-8 text; {how_to_save}") from None
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        raise FileProblem(f"is not UTF-8 text; {how_to_save}")
    return text
