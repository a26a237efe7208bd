"""Article bodies: Markdown and Word documents to HTML in the house layout, and the sanitiser every
piece of HTML passes before it is stored or shown (nh3: no script, no event handler, no
javascript: URL, no SVG or style survives)."""

from __future__ import annotations

import functools
import html
import re
from html.parser import HTMLParser
from typing import IO, Any

import nh3

# What an article body may contain: text structure, tables, links and images; nothing active.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "*": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# classes of the house layout; anything else an author or a Word file brings is dropped
HOUSE_CLASSES = {"note", "warning", "steps", "lead"}


def _keep_house_class(tag: str, attribute: str, value: str) -> str | None:
    if attribute != "class":
        return value
    kept = [c for c in value.split() if c in HOUSE_CLASSES]
    return " ".join(kept) or None


def sanitise(raw_html: str) -> str:
    """HTML that is safe to show: allowed tags and attributes only, safe URL schemes only."""
    return nh3.clean(
        raw_html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_keep_house_class,
        strip_comments=True,
    )


def _demote_headings(raw_html: str) -> str:
    """h1 belongs to the article's title: the body's headings start at h2."""

    def shift(match: re.Match[str]) -> str:
        level = min(6, int(match.group(2)) + 1)
        return f"<{match.group(1)}h{level}"

    if not re.search(r"<h1[\s>]", raw_html, flags=re.I):
        return raw_html
    return re.sub(r"<(/?)h([1-5])", shift, raw_html, flags=re.I)


@functools.cache
def _markdown(breaks: bool) -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True, "linkify": False, "breaks": breaks}).enable(
        ["table", "strikethrough"]
    )


def markdown_to_html(source: str, *, breaks: bool = False) -> str:
    """Markdown (CommonMark with tables and strikethrough) as sanitised HTML in the house layout;
    with `breaks`, every line break is kept (a letter written line by line)."""
    return sanitise(_demote_headings(_markdown(breaks).render(source or "")))


# Word styles to the house layout: headings start at h2, the house's note and warning boxes
DOCX_STYLE_MAP = """
p[style-name='Title'] => h2:fresh
p[style-name='Heading 1'] => h2:fresh
p[style-name='Heading 2'] => h3:fresh
p[style-name='Heading 3'] => h4:fresh
p[style-name='Note'] => div.note > p:fresh
p[style-name='Warning'] => div.warning > p:fresh
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => div.note > p:fresh
r[style-name='Strong'] => strong
"""


def docx_to_html(fileobj: IO[bytes]) -> tuple[str, list[str]]:
    """A Word document as sanitised HTML in the house layout, with mammoth's warnings."""
    import mammoth

    result: Any = mammoth.convert_to_html(fileobj, style_map=DOCX_STYLE_MAP)
    warnings = [str(m.message) for m in result.messages][:20]
    return sanitise(_demote_headings(result.value)), warnings


def html_to_house(raw_html: str) -> str:
    """HTML from elsewhere (an import, the API) as sanitised HTML in the house layout."""
    return sanitise(_demote_headings(raw_html or ""))


def looks_like_html(text: str) -> bool:
    """Whether a body from a file is HTML rather than Markdown."""
    return bool(
        re.match(r"\s*<(p|div|h[1-6]|ul|ol|table|section|article|html|body)[\s>]", text, re.I)
    )


def plain_text(safe_html: str) -> str:
    """The words of an HTML body, for search and embeddings."""
    spaced = re.sub(
        r"<(br|/p|/li|/h[1-6]|/div|/tr|/td|/th)\b[^>]*>", " \n", safe_html or "", flags=re.I
    )
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n", text)).strip()


class _Readable(HTMLParser):
    """Sanitised HTML as the text of a plain e-mail: paragraphs apart, lists with their bullets or
    numbers, links as "text (url)", quotes with ">", no markup."""

    BLOCKS = frozenset(
        {"p", "div", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "table", "dl", "dt", "dd",
         "figure", "figcaption", "details", "summary", "blockquote", "hr"}
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [ordered, next number]
        self.links: list[tuple[str, int]] = []  # per open link: href, where its text starts
        self.quote = 0
        self.pre = 0
        self.cells = 0
        self.line_start = True  # nothing written on the line yet but its markers

    def _newline(self, count: int = 1) -> None:
        self.out.append("\n" * count + "> " * self.quote)
        self.line_start = True

    def _write(self, text: str) -> None:
        if text:
            self.out.append(text)
            self.line_start = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "blockquote":
            self.quote += 1
        if tag in self.BLOCKS and not (tag in ("ul", "ol") and self.lists):
            self._newline(2)
        if tag == "hr":
            self._write("----")
            self._newline(2)
        elif tag == "pre":
            self.pre += 1
        elif tag == "br":
            self._newline()
        elif tag in ("ul", "ol"):
            start = dict(attrs).get("start") or "1"
            self.lists.append([tag == "ol", int(start) if start.isdigit() else 1])
        elif tag == "li":
            self._newline()
            self.out.append("   " * max(0, len(self.lists) - 1))
            if self.lists and self.lists[-1][0]:
                self.out.append(f"{self.lists[-1][1]}. ")
                self.lists[-1][1] += 1
            else:
                self.out.append("- ")
            self.line_start = True
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))
        elif tag == "img":
            self._write(dict(attrs).get("alt") or "")
        elif tag == "tr":
            self._newline()
            self.cells = 0
        elif tag in ("td", "th"):
            while self.out and self.out[-1].isspace():
                self.out.pop()
            if self.cells:
                self._write(" | ")
            self.cells += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.out[start:]).strip()
            bare = href.removeprefix("mailto:").removeprefix("tel:")
            if href and bare != text:
                self._write(f" ({href})")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            if self.lists:  # a list inside a list item goes on in that item
                return
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag in self.BLOCKS:
            self._newline(2)

    def handle_data(self, data: str) -> None:
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
            if self.line_start:
                data = data.lstrip()
        elif self.quote:
            data = data.replace("\n", "\n" + "> " * self.quote)
        self._write(data)

    def text(self) -> str:
        lines: list[str] = []
        for line in "".join(self.out).split("\n"):
            line = line.rstrip()
            if line.strip(" >"):
                lines.append(line)
            elif lines and lines[-1].strip(" >"):
                lines.append(line)  # one empty line between blocks, none piled up
        # an empty line keeps its ">" only inside a quote, between two of its lines
        for i in range(1, len(lines) - 1):
            if not lines[i].strip(" >"):
                inside = lines[i - 1].startswith(">") and lines[i + 1].startswith(">")
                lines[i] = ">" if inside else ""
        return "\n".join(lines).strip("\n")


def readable_text(safe_html: str) -> str:
    """Sanitised HTML as plain text that reads well on its own (the text part of an e-mail): no
    markup, paragraphs apart, list bullets and numbers kept, links as "text (url)"."""
    parser = _Readable()
    parser.feed(safe_html or "")
    parser.close()
    return parser.text()


# what would make a text more than text in Markdown: a link, an image, emphasis, code, HTML
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<])")


def markdown_literal(value: str) -> str:
    """A text as literal text in Markdown: its `*`, `_`, `[`, `<`, ... stay characters, never
    emphasis, a link or markup (line starts such as "- " or "1. " keep their meaning)."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", value)


def first_paragraph(text: str, *, limit: int = 300) -> str:
    """A summary when the author gave none: the first paragraph of the plain text."""
    for block in (text or "").split("\n"):
        block = block.strip()
        if block:
            return block[:limit]
    return ""


def template_markdown(sections: list[dict[str, str]]) -> str:
    """The Markdown an article from a template starts with: one heading per section, with a hint."""
    parts = []
    for section in sections:
        title = (section.get("title") or "").strip()
        if not title:
            continue
        hint = (section.get("hint") or "").strip()
        parts.append(f"## {title}\n\n{hint}\n" if hint else f"## {title}\n")
    return "\n".join(parts)


# a line that starts a block of its own in Markdown: a heading, a list item, a quote, a table
# row, an indented code line or a fence
_BLOCK_START = re.compile(r"\s*(#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\||```|~~~)|\s{4}")


def markdown_unwrapped(source: str) -> str:
    """Markdown with each paragraph on one line: the soft line breaks an editor typed to wrap
    long lines joined with a space (a reply keeps every line break, so a wrapped article would
    reach the customer broken mid-sentence). Headings, list items, quotes, tables, code and
    hard breaks (two spaces at the end) stay as they are."""
    out: list[str] = []
    in_code = False
    joinable = False  # whether the last line is paragraph text a next line may continue
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            out.append(line)
            joinable = False
            continue
        if in_code or not stripped:
            out.append(line)
            joinable = False
            continue
        starts_block = bool(_BLOCK_START.match(line))
        if joinable and not starts_block:
            out[-1] = out[-1].rstrip() + " " + stripped
        else:
            out.append(line)
        # a heading, a table row or a hard break ends the line; list items and paragraphs go on
        joinable = not (
            stripped.startswith(("#", "|")) or line.endswith("  ") or line.startswith("    ")
        )
    return "\n".join(out)
