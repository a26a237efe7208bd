"""Bodies: Markdown and Word to the house layout, and the sanitiser against the OWASP XSS vectors."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest

from ckm.knowledge import content
from ckm.knowledge.tests.docx import docx_bytes

# from the OWASP XSS filter evasion cheat sheet
XSS_VECTORS = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"javascript:alert('XSS')\" onerror=\"alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    '<BODY ONLOAD=alert("XSS")>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="  JaVaScRiPt:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<object data=\"javascript:alert('XSS')\"></object>",
    '<embed src="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<p style="color:red" onclick="alert(1)">text</p>',
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def active_parts(html: str) -> list[str]:
    """Elements and attributes that could run code or load something, as the browser parses it."""
    parser = _Elements()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.found:
        if tag in {
            "script",
            "svg",
            "style",
            "iframe",
            "object",
            "embed",
            "form",
            "meta",
            "math",
            "link",
            "base",
            "body",
        }:
            problems.append(tag)
        for name, value in attrs:
            # browsers ignore whitespace and control characters inside a scheme
            value = re.sub(r"[\s\x00-\x1f`'\"]", "", value or "").lower()
            if name.startswith("on") or name == "style":
                problems.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "data"} and value.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                problems.append(f"{tag}[{name}={value[:20]}]")
    return problems


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_sanitiser_removes_every_active_part(vector: str) -> None:
    assert active_parts(vector), "the vector itself is active"
    for rendered in (content.sanitise(vector), content.markdown_to_html(vector)):
        assert active_parts(rendered) == [], (vector, rendered)


def test_markdown_keeps_structure_and_demotes_headings() -> None:
    html = content.markdown_to_html(
        "# Title\n\nText with **bold**.\n\n1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html
    assert "<ol>" in html and "<table>" in html


def test_links_get_safe_rel_and_house_classes_stay() -> None:
    html = content.sanitise('<div class="note evil">x</div><a href="https://example.com">y</a>')
    assert 'class="note"' in html and "evil" not in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_docx_converts_to_house_layout_without_script() -> None:
    data = docx_bytes(
        title="Changing your PIN",
        paragraphs=["Go to the app.", "<script>alert('docx')</script>"],
        hidden="<script>document.title='pwned'</script>",
        link=("javascript:alert(1)", "click me"),
    )
    html, _warnings = content.docx_to_html(io.BytesIO(data))
    assert "<h2>Changing your PIN</h2>" in html
    assert "Go to the app." in html
    assert "<script" not in html.lower()
    assert "javascript:" not in html.lower()


def test_plain_text_and_first_paragraph() -> None:
    html = content.markdown_to_html("First para &amp; more.\n\n## Next\n\n- item")
    text = content.plain_text(html)
    assert text.startswith("First para & more.")
    assert content.first_paragraph(text) == "First para & more."


def test_readable_text_reads_like_the_markdown_without_its_markers() -> None:
    source = (
        "Dear Anna,\nthanks.\n\n## Steps\n\n1. Open the **app**\n2. See [fees](https://b.example/f?a=1&b=2)\n"
        "   - nested\n\n> quoted\n>\n> again\n\nMail <help@b.example> &amp; more"
    )
    assert content.markdown_to_html("a\nb") == "<p>a\nb</p>\n"  # articles: soft breaks
    html = content.markdown_to_html(source, breaks=True)
    assert content.readable_text(html) == (
        "Dear Anna,\nthanks.\n\nSteps\n\n1. Open the app\n2. See fees (https://b.example/f?a=1&b=2)\n"
        "   - nested\n\n> quoted\n>\n> again\n\nMail help@b.example & more"
    )


def test_template_markdown_has_one_heading_per_section() -> None:
    md = content.template_markdown(
        [{"title": "What to do", "hint": "1. step"}, {"title": "Good to know"}]
    )
    assert md.count("## ") == 2 and "1. step" in md


def test_a_wrapped_paragraph_is_one_line_and_blocks_stay() -> None:
    from ckm.knowledge.content import markdown_unwrapped

    source = (
        "# Lost card\n"
        "Block the card in the app\n"
        "or call us at once.\n"
        "\n"
        "- first step\n"
        "  goes on here\n"
        "- second step\n"
        "\n"
        "| a | b |\n"
        "| 1 | 2 |\n"
        "\n"
        "```\n"
        "code line\n"
        "more code\n"
        "```\n"
        "Hard break  \n"
        "next line"
    )
    assert markdown_unwrapped(source).splitlines() == [
        "# Lost card",
        "Block the card in the app or call us at once.",
        "",
        "- first step goes on here",
        "- second step",
        "",
        "| a | b |",
        "| 1 | 2 |",
        "",
        "```",
        "code line",
        "more code",
        "```",
        "Hard break  ",
        "next line",
    ]
