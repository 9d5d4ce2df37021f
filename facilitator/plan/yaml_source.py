"""YAML that remembers where every value came from, so errors can name a line and column.

PyYAML's composer gives us nodes with marks; we build plain Python data from them ourselves
and record the position of every key and value by its path (`("phases", 2, "slot")`).
Timestamps stay strings: the plan models parse them with the plan's own time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


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
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "could not be read as YAML"
        raise YamlProblem(f"not valid YAML: {problem}", _pos(mark)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}", Position(1, 1)) from None
    source = SourceMap()
    if node is None:
        return None, source
    return _build(node, (), source), source


_SCALAR_CONSTRUCTOR = yaml.SafeLoader(stream="")


def _build(node: yaml.Node, path: Path, source: SourceMap) -> Any:
    source.values[path] = _pos(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_build_scalar(key_node)) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                raise YamlProblem("mapping keys must be plain words", _pos(key_node.start_mark))
            if key in out:
                raise YamlProblem(f"`{key}` is given twice", _pos(key_node.start_mark))
            child = (*path, key)
            source.keys[child] = _pos(key_node.start_mark)
            out[key] = _build(value_node, child, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), source) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        return _build_scalar(node)
    raise YamlProblem("unsupported YAML construct", _pos(node.start_mark))


def _build_scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag.endswith((":int", ":float", ":bool", ":null")):
        return _SCALAR_CONSTRUCTOR.construct_object(node, deep=True)
    return node.value  # strings, and timestamps kept as written
