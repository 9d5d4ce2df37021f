"""Message rendering: one Jinja2 template pair per message, a subject, a text and an HTML body.

Templates live in `templates/messages/` (see its README): `<name>.txt` starts with a
`Subject: ...` line, then a blank line, then the plain-text body; `<name>.html` is the HTML
body. Chat and webhook channels use the text body, email sends both.

Undefined values are errors (StrictUndefined): a message whose context lacks a field must fail
on its own with a reason a person can act on ("heads_up needs `prompt`"), never go out with a
blank where the room name should be. HTML is autoescaped; text is not (it is not HTML).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)

from facilitator.delivery.channels.base import Rendered

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "messages"
SUBJECT_PREFIX = "Subject:"
_UNDEFINED = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")
_BLANK_RUNS = re.compile(r"\n{3,}")


class RenderError(Exception):
    """A message that cannot be rendered; `reason` says why in words, naming template and field."""

    def __init__(self, reason: str, *, template: str = "", field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.template = template
        self.field = field


class SessionNotLoadedError(Exception):
    """The row's session is not (yet) loaded in this process: not the message's fault, so the
    row waits and is tried again; it is never failed for this."""


class _MessageLoader(FileSystemLoader):
    """Serves `x.txt#subject` and `x.txt#body` as two templates cut from one file.

    Rendering the subject line on its own means a value containing a line break can never push
    part of the subject into the body (or vice versa). The body keeps its line numbers, so
    syntax errors point at the right line of the file.
    """

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        name, _, part = template.partition("#")
        source, filename, uptodate = super().get_source(environment, name)
        if not part:
            return source, filename, uptodate
        first, _, rest = source.partition("\n")
        if not first.startswith(SUBJECT_PREFIX):
            raise TemplateSyntaxError(
                f"the first line must be `{SUBJECT_PREFIX} ...` (the message's subject)", 1, name, filename
            )
        if part == "subject":
            return first[len(SUBJECT_PREFIX) :].strip(), filename, uptodate
        return "\n" + rest, filename, uptodate


def _tidy_text(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, exactly one final newline."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def _field_of(exc: UndefinedError) -> str | None:
    match = _UNDEFINED.search(str(exc.message or ""))
    return (match.group(1) or match.group(2)) if match else None


class Renderer:
    """Renders named messages from a templates directory; safe to share across tasks."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = Path(templates_dir) if templates_dir is not None else DEFAULT_TEMPLATES
        if not self.templates_dir.is_dir():
            raise FileNotFoundError(f"message templates directory not found: {self.templates_dir}")
        self.env = Environment(
            loader=_MessageLoader(self.templates_dir),
            undefined=StrictUndefined,
            autoescape=lambda name: name is not None and name.partition("#")[0].endswith(".html"),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # templates do not change under a running session; skip the stat
        )

    def names(self) -> list[str]:
        """Message templates available (partials starting with `_` are not messages)."""
        return sorted(p.stem for p in self.templates_dir.glob("*.txt") if not p.name.startswith("_"))

    def render(self, template: str, context: Mapping[str, Any]) -> Rendered:
        """Subject, text and HTML of one message; raises RenderError with the reason in words."""
        values = dict(context)
        subject = " ".join(self._render(template, f"{template}.txt#subject", values).split())
        if not subject:
            raise RenderError(f"message template {template!r} rendered an empty subject", template=template)
        text = _tidy_text(self._render(template, f"{template}.txt#body", values))
        html = self._render(template, f"{template}.html", values)
        return Rendered(subject=subject, text=text, html=html)

    def _render(self, template: str, name: str, values: dict[str, Any]) -> str:
        file = name.partition("#")[0]
        try:
            return self.env.get_template(name).render(values)
        except TemplateNotFound as exc:
            missing = str(exc.name or file).partition("#")[0]
            raise RenderError(
                f"message template {template!r} needs {missing}, which is not in {self.templates_dir}",
                template=template,
            ) from None
        except UndefinedError as exc:
            field = _field_of(exc)
            what = f"`{field}`" if field else f"a value ({exc.message})"
            raise RenderError(
                f"message {template!r} ({file}) needs {what}, which its context does not have",
                template=template,
                field=field,
            ) from None
        except TemplateSyntaxError as exc:
            raise RenderError(
                f"message template {file} line {exc.lineno}: {exc.message}", template=template
            ) from None
        except Exception as exc:  # any error evaluating a template fails only that message
            what = f"{type(exc).__name__}: {exc}" if not isinstance(exc, TemplateError) else str(exc)
            raise RenderError(f"message {template!r} ({file}) failed: {what}", template=template) from None
