"""Article bodies: Markdown and Word documents to HTML in the house layout, and the sanitiser every
piece of HTML passes before it is stored or shown (nh3: no script, no event handler, no
javascript: URL, no SVG or style survives)."""

from __future__ import annotations

import html
import re
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


def markdown_to_html(source: str) -> str:
    """Markdown (CommonMark with tables and strikethrough) as sanitised HTML in the house layout."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(
        ["table", "strikethrough"]
    )
    return sanitise(_demote_headings(md.render(source or "")))


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
