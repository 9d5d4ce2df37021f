"""JSON from strangers, parsed within bounds: depth, number size, and finite numbers only.

Python's `json` recurses once per nesting level (a body of `[[[[...` exhausts the stack with a
RecursionError), turns a 5,000-digit integer into a ValueError of its own kind, and accepts
`NaN`, `Infinity` and `1e999` (infinite). Webhook bodies and board posts are untrusted, so each
of these becomes one exception, BadJson, that the routes answer with 400.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 30


class BadJson(ValueError):
    """The body is not JSON this app accepts; the message says why, in plain words."""


def _number_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadJson(f"a number has more than {MAX_NUMBER_CHARS} digits")
    return int(text)


def _number_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadJson(f"a number has more than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise BadJson("a number is out of range")
    return value


def _constant(name: str) -> Any:
    raise BadJson(f"`{name}` is not a JSON number")


def _depth(raw: str) -> int:
    """The deepest nesting of brackets outside strings (cheap, and it never recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(raw: bytes | str) -> Any:
    """`json.loads` within the bounds above; BadJson for anything else."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise BadJson("the body is not UTF-8") from None
    if _depth(text) > MAX_DEPTH:
        raise BadJson(f"the body nests more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text, parse_int=_number_int, parse_float=_number_float, parse_constant=_constant)
    except BadJson:
        raise
    except (ValueError, RecursionError):
        raise BadJson("the body is not valid JSON") from None
