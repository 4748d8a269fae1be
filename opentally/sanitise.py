"""Make HTML written by contributors safe to publish.

Package descriptions and commentary are written by contributors and may hold raw HTML. Before it
reaches a page it passes an allow-list (nh3, the Rust ``ammonia`` sanitiser): no script, no style,
no event handlers, no ``javascript:`` or ``data:`` links. An image on another host becomes a plain
link, so that a reader's browser makes no request to any other host.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import markdown
import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
}
_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "abbr": {"title"},
}
_SCHEMES = {"http", "https", "mailto"}
# The extensions the site's mkdocs.yml uses, so a description reads as commentary does.
MARKDOWN_EXTENSIONS = ["tables", "pymdownx.superfences", "footnotes", "attr_list", "def_list", "abbr", "sane_lists"]


def clean_html(fragment: str) -> str:
    """The fragment with every tag and attribute outside the allow-list removed."""
    cleaned = nh3.clean(fragment, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                        link_rel="noopener noreferrer", strip_comments=True)
    return _remote_images_to_links(cleaned)


def markdown_to_safe_html(text: str) -> str:
    """Render contributor Markdown (a package description or readme) and make it safe."""
    rendered = markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return clean_html(rendered)


def is_remote(url: str) -> bool:
    parsed = urlparse(url)
    return bool(parsed.scheme) or url.startswith("//")


class _ImageRewriter(HTMLParser):
    """Copies HTML through, turning each image on another host into a link to it (or into its alt text
    inside a link, since links cannot nest)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.link_depth = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "img" and is_remote(values.get("src") or ""):
            src = values.get("src") or ""
            alt = (values.get("alt") or "").strip() or f"image: {src}"
            if self.link_depth:
                self.out.append(html.escape(alt))
            else:
                self.out.append(f'<a href="{html.escape(src)}" rel="noopener noreferrer">{html.escape(alt)}</a>')
            return
        if tag == "a":
            self.link_depth += 1
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.link_depth -= 1

    def handle_endtag(self, tag):
        if tag == "a" and self.link_depth:
            self.link_depth -= 1
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")


def _remote_images_to_links(fragment: str) -> str:
    if "<img" not in fragment:
        return fragment
    parser = _ImageRewriter()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out)


def demote_headings(fragment: str, levels: int) -> str:
    """Move headings down so that a description sits under the page's own headings."""
    def shift(match):
        level = min(6, int(match.group(2)) + levels)
        return f"<{match.group(1)}h{level}"
    return re.sub(r"<(/?)h([1-6])", shift, fragment)
