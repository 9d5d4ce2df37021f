"""The renderer: subject/text/HTML from the message templates, and clear failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facilitator.delivery.render import DEFAULT_TEMPLATES, Renderer, RenderError
from facilitator.schedule.model import MessageKind

HEADS_UP: dict[str, Any] = {
    "session_title": "Shared Living Experiences",
    "group_name": "Group 4",
    "students": 10,
    "prompt": "What stayed with you?",
    "lead": "2 minutes",
    "slot_start_at": "14:30 (America/New_York)",
    "slot_end_time": "14:55",
    "timezone": "America/New_York",
    "live_url": "https://facilitator.example.edu/f/token",
}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def write(tmp_path: Path, name: str, text: str, html: str = "<p>{{ body }}</p>") -> Renderer:
    (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    return Renderer(tmp_path)


def test_default_directory_is_the_repositorys() -> None:
    assert Path(__file__).resolve().parents[2] / "templates" / "messages" == DEFAULT_TEMPLATES


def test_every_message_kind_has_a_text_and_an_html_template(renderer: Renderer) -> None:
    assert renderer.names() == sorted(k.value for k in MessageKind)
    for name in renderer.names():
        first = (DEFAULT_TEMPLATES / f"{name}.txt").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("Subject: "), name
        html = (DEFAULT_TEMPLATES / f"{name}.html").read_text(encoding="utf-8")
        assert "<script" not in html.lower() and '{% extends "_layout.html" %}' in html, name


def test_heads_up_reads_as_specified(renderer: Renderer) -> None:
    out = renderer.render("heads_up", HEADS_UP)
    assert out.subject == "In 2 minutes: Group 4, 10 students"
    assert out.text.startswith("In 2 minutes: Group 4, 10 students. Prompt: What stayed with you?\n")
    assert "14:30 (America/New_York)" in out.text
    assert out.html is not None and "In 2 minutes: Group 4, 10 students" in out.html
    assert 'href="https://facilitator.example.edu/f/token"' in out.html


def test_singular_student(renderer: Renderer) -> None:
    assert renderer.render("heads_up", {**HEADS_UP, "students": 1}).subject.endswith("Group 4, 1 student")


def test_missing_field_raises_render_error_naming_it(renderer: Renderer) -> None:
    context = {k: v for k, v in HEADS_UP.items() if k != "prompt"}
    with pytest.raises(RenderError) as caught:
        renderer.render("heads_up", context)
    assert caught.value.field == "prompt" and caught.value.template == "heads_up"
    assert "`prompt`" in caught.value.reason and "heads_up" in caught.value.reason


def test_missing_field_only_in_html_is_caught_too(tmp_path: Path) -> None:
    r = write(tmp_path, "note", "Subject: Hello\n\nbody\n", "<p>{{ only_in_html }}</p>")
    with pytest.raises(RenderError, match="only_in_html") as caught:
        r.render("note", {})
    assert "note.html" in caught.value.reason


def test_missing_attribute_of_a_list_item_is_named(renderer: Renderer) -> None:
    context = {"session_title": "S", "recipient_name": "Ana Ruiz", "items": [{"title": "Counselling"}]}
    with pytest.raises(RenderError) as caught:
        renderer.render("resources", context)
    assert caught.value.field == "url"


def test_html_is_escaped_and_text_is_not(tmp_path: Path) -> None:
    r = write(tmp_path, "note", "Subject: For {{ name }}\n\nHello {{ name }}\n", "<p>Hello {{ name }}</p>")
    out = r.render("note", {"name": "<script>alert(1)</script>"})
    assert out.html == "<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert out.text == "Hello <script>alert(1)</script>\n"
    assert out.subject == "For <script>alert(1)</script>"


def test_subject_stays_one_line_whatever_the_values(tmp_path: Path) -> None:
    r = write(tmp_path, "note", "Subject: Room {{ room }}\n\nBody\n")
    out = r.render("note", {"room": "4\nBcc: someone@example.edu", "body": "x"})
    assert out.subject == "Room 4 Bcc: someone@example.edu"
    assert out.text == "Body\n"


def test_text_body_is_tidied(tmp_path: Path) -> None:
    source = "Subject: S\n\n\nA   \n{% if no %}\nhidden\n{% endif %}\n\n\n\nB\n\n"
    out = write(tmp_path, "note", source).render("note", {"no": False, "body": ""})
    assert out.text == "A\n\nB\n"


def test_unknown_template(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match=r"no_such_message\.txt"):
        renderer.render("no_such_message", {})


def test_missing_html_counterpart(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Subject: S\n\nbody\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"note\.html"):
        Renderer(tmp_path).render("note", {})


def test_text_template_without_subject_line(tmp_path: Path) -> None:
    r = write(tmp_path, "note", "Hello\n\nbody\n")
    with pytest.raises(RenderError, match=r"Subject: \.\.\."):
        r.render("note", {"body": ""})


def test_empty_subject(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="empty subject"):
        write(tmp_path, "note", "Subject: {{ s }}\n\nbody\n").render("note", {"s": " ", "body": ""})


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    r = write(tmp_path, "note", "Subject: S\n\nline 3\n{% if %}\n")
    with pytest.raises(RenderError, match=r"note\.txt line 4"):
        r.render("note", {"body": ""})


def test_a_failing_filter_becomes_a_render_error(tmp_path: Path) -> None:
    r = write(tmp_path, "note", "Subject: S\n\n{{ n // 0 }}\n")
    with pytest.raises(RenderError, match="failed"):
        r.render("note", {"n": 1, "body": ""})


def test_missing_directory_is_reported() -> None:
    with pytest.raises(FileNotFoundError, match="templates directory"):
        Renderer(Path("/nonexistent/templates"))
