"""Markdown to safe HTML for articles.

Staff write Markdown (raw HTML allowed); what reaches readers is the allow-listed subset that
nh3 keeps. Links are checked twice over: nh3 drops any URL whose scheme is not listed, then
links leaving the site get ``rel="noopener"``.

Markdown and nh3 are imported when an article is rendered (on save), not with the module: the
models import this one, and a web worker that only shows articles serves the stored HTML.
"""

import html
import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.html import strip_tags

WORDS_PER_MINUTE = 200

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "del", "em", "figcaption",
    "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Dropped with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
    "frameset", "frame", "textarea", "select", "title",
}  # fmt: skip

# nh3 writes every attribute as name="value" with quotes escaped, so an opening <a ...> tag in
# its output always has exactly this shape.
SANITIZED_LINK = re.compile(r'<a((?: [a-z-]+="[^"]*")*)>')
HREF = re.compile(r' href="([^"]*)"')


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    headings: list[dict]
    reading_minutes: int


def render_markdown(text: str) -> RenderedMarkdown:
    import markdown

    converter = markdown.Markdown(
        extensions=["toc", "tables", "fenced_code", "sane_lists"],
        extension_configs={"toc": {"toc_depth": "2-3"}},
    )
    body = sanitize_html(converter.convert(text))
    return RenderedMarkdown(
        html=body,
        headings=_flatten_headings(converter.toc_tokens),
        reading_minutes=reading_minutes(body),
    )


def sanitize_html(fragment: str) -> str:
    import nh3

    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    return SANITIZED_LINK.sub(_mark_external_link, cleaned)


def reading_minutes(body_html: str) -> int:
    words = len(re.findall(r"\w+", strip_tags(body_html)))
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} and not url.startswith("//"):
        return False
    return parts.netloc.lower() != urlsplit(settings.SITE_URL).netloc.lower()


def _mark_external_link(match: re.Match) -> str:
    attributes = match.group(1)
    href = HREF.search(attributes)
    if href and is_external(html.unescape(href.group(1))):
        attributes += ' rel="noopener"'
    return f"<a{attributes}>"


def _flatten_headings(tokens: list[dict]) -> list[dict]:
    headings = []
    for token in tokens:
        headings.append(
            {"id": token["id"], "title": html.unescape(token["name"]), "level": token["level"]}
        )
        headings.extend(_flatten_headings(token["children"]))
    return headings
