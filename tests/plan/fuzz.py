"""Seeded mutations of the bundled plans: what a careless edit or a hostile upload looks like.

Each mutation works on the text, so it can break the YAML itself as well as the values: delete,
duplicate or truncate lines, swap a value for a hostile one (wrong types, `!!` tags, aliases,
huge numbers, paths out of the folder, abbreviations for zones, markup), re-indent, or append.
"""

from __future__ import annotations

import random
from collections.abc import Callable

HOSTILE_VALUES = (
    "!!int abc",
    "!!float x",
    "!!bool maybe",
    "!!null x",
    "!!binary AAAA",
    "!!timestamp 2027-13-45",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "&a [*a]",
    "&b {x: *b}",
    "*nowhere",
    "[]",
    "{}",
    "null",
    "~",
    "-1",
    "0",
    "-0",
    "1.5",
    "1e400",
    "-1e400",
    ".nan",
    ".inf",
    "0x7fffffffffffffff",
    "9223372036854775808",
    "9223372036854775808m",
    "99999999999999999999999999999999999999d",
    "1" * 5000,
    "PT99999999H",
    "P9999999D",
    "start-99999d",
    "end+9999999m",
    "+14d",
    "2027-03-14 02:30",
    "2027-10-31 02:30",
    "0001-01-01 00:00",
    "9999-12-31 23:59",
    "America",
    "EST",
    "Etc/GMT+5",
    "US/Eastern",
    "A" * 300,
    "../../../../etc/passwd",
    "/etc/passwd",
    "/dev/zero",
    "/proc/self/environ",
    ".",
    "..",
    "C:\\\\Windows\\\\win.ini",
    "Small [/i] groups",
    "[she/her]",
    "'[bold]x[/bold]'",
    "Группа",
    "小组",
    "x" * 20000,
    "true",
    "no",
    "yes",
    "'\\x00'",
    '"\\u0000"',
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "{kind: breakout}",
    "[{speaker: nobody, minutes: 99999}]",
    "[{from: '2027-01-14 13:00', until: '2027-01-14 12:00'}]",
    "[{from: '2027-03-14 02:30', until: '2027-03-14 05:00'}]",
)

_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def delete_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "".join(lines)


def duplicate_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return "".join(lines)


def truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text))]


def replace_value(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    keyed = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
    if not keyed:
        return text
    i = rng.choice(keyed)
    head = lines[i].split(":", 1)[0]
    lines[i] = f"{head}: {rng.choice(HOSTILE_VALUES)}\n"
    return "".join(lines)


def reindent(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines[i] = " " * rng.choice((0, 1, 3, 8)) + lines[i].lstrip()
    return "".join(lines)


def change_type(text: str, rng: random.Random) -> str:
    """A scalar becomes a list or a mapping, or a block becomes a scalar."""
    lines = _lines(text)
    i = rng.randrange(len(lines))
    if ":" in lines[i]:
        head, value = lines[i].split(":", 1)
        wrapped = rng.choice((f"[{value.strip()}]", f"{{x: {value.strip()}}}", "", "'1'"))
        lines[i] = f"{head}: {wrapped}\n"
    return "".join(lines)


def append_garbage(text: str, rng: random.Random) -> str:
    tail = rng.choice(
        (_BOMB, "extra: 1\n", "---\nsecond: doc\n", "\t\x00\x01", "session: again\n", "%TAG ! x\n")
    )
    return text + tail


def swap_lines(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


MUTATIONS: tuple[Callable[[str, random.Random], str], ...] = (
    delete_line,
    duplicate_line,
    truncate,
    replace_value,
    replace_value,
    replace_value,
    reindent,
    change_type,
    append_garbage,
    swap_lines,
)


def mutate(text: str, rng: random.Random) -> str:
    """One to three mutations of `text`."""
    for _ in range(rng.randint(1, 3)):
        if not text:
            break
        text = rng.choice(MUTATIONS)(text, rng)
    return text


def mutate_roster(data: bytes, rng: random.Random) -> bytes:
    """A roster as spreadsheets and careless hands leave it: other encodings, separators, junk."""
    text = data.decode("utf-8")
    choice = rng.randrange(8)
    if choice == 0:
        return text.replace(",", ";").encode("utf-8")
    if choice == 1:
        return (text.replace("a", "á")).encode("cp1252", errors="replace")
    if choice == 2:
        return text.encode("utf-16")
    if choice == 3:
        return text.encode("utf-16-le")
    if choice == 4:
        return data[: rng.randrange(len(data) + 1)]
    if choice == 5:
        return data + b'"' + b"x" * 140_000 + b"\n"
    if choice == 6:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 400)))
    lines = text.splitlines(keepends=True)
    rng.shuffle(lines)
    return "".join(lines).encode("utf-8")
