"""YAML that remembers where every value came from, so errors can name a line and column.

PyYAML's composer gives us nodes with marks; we build plain Python data from them ourselves
and record the position of every key and value by its path (`("phases", 2, "slot")`).
Timestamps stay strings: the plan models parse them with the plan's own time zone.

A plan may come from anyone who can upload one, so reading is bounded: the text's size, how deep
mappings and lists nest, how many values aliases may expand to, and how many digits a number may
have. Past a bound the reader stops with a problem that names the limit, instead of exhausting
memory or the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]

MAX_PLAN_BYTES = 1024 * 1024
"""A plan (YAML text, without its CSV roster) is at most 1 MiB; the seed plan is 3 KiB."""
MAX_DEPTH = 32
"""Mappings and lists nest at most this deep; a plan needs 6."""
MAX_VALUES = 100_000
"""At most this many values after aliases are expanded (stops alias bombs and self-references)."""
MAX_NUMBER_CHARS = 40
"""A number is written in at most 40 characters; nothing in a plan needs more."""


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    col: int  # 1-based


@dataclass
class SourceMap:
    """Positions by path: where each value starts, and where each mapping key is written."""

    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def locate(self, path: Path) -> Position:
        """The best position for a path: the value, else the key, else the nearest parent."""
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            if cut == len(path) and prefix in self.keys and prefix not in self.values:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return Position(1, 1)


class YamlProblem(Exception):
    """The text is not YAML we can read; carries the position of the fault."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _pos(mark: yaml.Mark | None) -> Position:
    return Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)


def load_yaml(text: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data plus its source map."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_PLAN_BYTES:
        raise YamlProblem(
            f"the plan is {size:,} bytes; a plan may be at most {MAX_PLAN_BYTES:,} bytes (1 MiB)",
            Position(1, 1),
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "could not be read as YAML"
        raise YamlProblem(f"not valid YAML: {problem}", _pos(mark)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}", Position(1, 1)) from None
    except RecursionError:
        raise YamlProblem(f"lists and mappings nest more than {MAX_DEPTH} deep", Position(1, 1)) from None
    source = SourceMap()
    if node is None:
        return None, source
    return _Builder(source).build(node, ()), source


_SCALAR_CONSTRUCTOR = yaml.SafeLoader(stream="")
_TYPE_NAMES = {":int": "a whole number", ":float": "a number", ":bool": "true or false", ":null": "empty"}


class _Builder:
    """Builds plain data from composed nodes, counting depth and values against the limits."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.values = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise YamlProblem(
                f"the plan expands to more than {MAX_VALUES:,} values (each alias `*name` repeats "
                "what it names); write the values out or use fewer aliases",
                _pos(node.start_mark),
            )
        if len(path) > MAX_DEPTH:
            raise YamlProblem(
                f"lists and mappings nest more than {MAX_DEPTH} deep "
                "(an alias that refers to itself does this)",
                _pos(node.start_mark),
            )
        self.source.values.setdefault(path, _pos(node.start_mark))
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlProblem("mapping keys must be plain words", _pos(key_node.start_mark))
                key = str(_build_scalar(key_node))
                if key in out:
                    raise YamlProblem(f"`{key}` is given twice", _pos(key_node.start_mark))
                child = (*path, key)
                self.source.keys.setdefault(child, _pos(key_node.start_mark))
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode):
            return _build_scalar(node)
        raise YamlProblem("unsupported YAML construct", _pos(node.start_mark))


def _build_scalar(node: yaml.ScalarNode) -> Any:
    """A scalar's value; a tag it does not fit (`!!int abc`) or an absurdly long number is a problem."""
    tag = node.tag
    suffix = next((t for t in _TYPE_NAMES if tag.endswith(t)), None)
    if suffix is None:
        return node.value  # strings, and timestamps kept as written
    if suffix in (":int", ":float") and len(node.value) > MAX_NUMBER_CHARS:
        raise YamlProblem(
            f"a number of {len(node.value):,} characters; numbers may have at most {MAX_NUMBER_CHARS}",
            _pos(node.start_mark),
        )
    try:
        return _SCALAR_CONSTRUCTOR.yaml_constructors[tag](_SCALAR_CONSTRUCTOR, node)
    except (ValueError, KeyError, TypeError, OverflowError, yaml.YAMLError):
        shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
        raise YamlProblem(
            f"`{shown}` is not {_TYPE_NAMES[suffix]} (tag `{tag.rsplit(':', 1)[-1]}`); "
            "remove the `!!` tag or fix the value",
            _pos(node.start_mark),
        ) from None
