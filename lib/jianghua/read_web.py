"""Read saved web pages and MHTML archives: the article text, headline and publish line."""

import copy
import re

from jianghua.read_text import BOMS, CJK_RE, ReadError, decode_text

META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HTML_FAMILY = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "big5-hkscs": "big5hkscs",
}


def read_mhtml(data: bytes) -> tuple[str, str, list[str]]:
    """Return (text, encoding, notes) of the web page inside an MHTML web archive."""
    import email
    import email.policy

    archive = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in archive.walk():
        if part.get_content_type() == "text/html":
            page = part.get_payload(decode=True)
            if page:
                return read_html(page, part.get_content_charset())
    raise ReadError(
        "MHTML web archive without a web page inside: open it in a browser and save it as .html"
    )


def read_html(data: bytes, charset: str | None = None) -> tuple[str, str, list[str]]:
    """Return (title, publish line and main text; encoding; notes) of a saved web page."""
    html, encoding, notes = _decode_html(data, charset)
    import lxml.html
    import trafilatura  # imported here: it takes a third of a second to load

    try:
        root = lxml.html.fromstring(html)
    except Exception as err:  # lxml raises several types for broken markup
        raise ReadError(f"cannot parse the web page: {err}") from err
    root = _sections_as_divs(_unwrap_layout_tables(root))
    pager = _pager(root)
    if pager is not None and pager.getparent() is not None:
        pager.drop_tree()  # page links are furniture, whichever block holds them
    # with_metadata=False: trafilatura's date guessing costs ~0.4 s a page and is unused here
    found = trafilatura.bare_extraction(
        copy.deepcopy(root),
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        deduplicate=False,
    )
    text = _table_rows_as_tabs(found.text or "") if found is not None else ""
    if not CJK_RE.search(text):
        text = _html_body_text(root)
        if not CJK_RE.search(text):
            raise ReadError("no Chinese text found in the web page (no main content either)")
    # The headline and publish line are page text the metadata stage needs, but
    # trafilatura keeps them out of the main text.
    # (a publish stamp may be a bare date and time: WeChat's 2021-03-10 18:30)
    title, stamp = _page_title(root), _publish_line(root)
    head = [
        line
        for line in (title if title and CJK_RE.search(title) else None, stamp)
        if line and not _already_in(line, text)
    ]
    return _tidy_lines("\n".join([*head, text])), encoding, notes + _pagination_notes(pager)


PROSE_RE = re.compile(r"[。！？!?，,；;]")


def _already_in(line: str, text: str) -> bool:
    """Return True when the text holds the line on a line of its own (or a header-like line)."""
    # a headline quoted inside a sentence (以上就是…的讲话，希望…) is not the headline itself
    for kept in text.splitlines():
        kept = " ".join(kept.split())
        if line in kept and not PROSE_RE.search(kept.replace(line, "")):
            return True
    return False


def _sections_as_divs(root):
    """Return the page with its <section> elements made <div>s."""
    # WeChat editors write each paragraph as a bare <section>; trafilatura keeps only one of them
    for section in root.iter("section"):
        section.tag = "div"
    return root


# A pager: 上一页/下一页 or 第2页 links, with 共3页 or page numbers beside them.
PAGER_RE = re.compile(r"[上下]一页|第\s*\d+\s*页")
PAGER_LINK_RE = re.compile(r"^\s*(?:[上下]一页|尾页|末页|第\s*\d+\s*页|\d+)\s*$")
PAGE_TOTAL_RE = re.compile(r"共\s*(\d+)\s*页")
PAGE_NUMBER_RE = re.compile(r"第\s*(\d+)\s*页|^\s*(\d+)\s*$")
PAGER_MAX_CHARS = 120
PAGINATION_NOTE = (
    "page {} of {} of a paginated article: save the other pages too "
    "(they are read as separate files)"
)


def _pager(root):
    """Return the element holding an article's page links (上一页, 第2页, 下一页), or None."""
    for element in root.iter("div", "p", "span", "td", "center", "ul", "nav"):
        content = element.text_content()
        if len(content) > PAGER_MAX_CHARS or not PAGER_RE.search(content):
            continue
        if any(PAGER_LINK_RE.match(a.text_content()) for a in element.iter("a")):
            return element
    return None


def _pagination_notes(pager) -> list[str]:
    """Return a note naming which page of how many a pager shows, if more than one."""
    if pager is None:
        return []
    linked = {_page_number(a.text_content()) for a in pager.iter("a")} - {None}
    shown = {_page_number(text) for text in _unlinked_texts(pager)} - {None}
    total = PAGE_TOTAL_RE.search(pager.text_content())
    count = max([int(total.group(1))] if total else [], default=0)
    count = max([count, *linked, *shown])
    current = min(shown - linked, default=1)
    return [PAGINATION_NOTE.format(current, count)] if count > 1 else []


def _unlinked_texts(element) -> list[str]:
    """Return the pieces of text under element that are not inside a link."""
    pieces = []
    for node in element.iter():
        inside_link = node.tag == "a" or any(a.tag == "a" for a in node.iterancestors())
        if not inside_link and node.text:
            pieces.extend(node.text.split())
        if (
            node is not element
            and node.tail
            and not any(a.tag == "a" for a in node.iterancestors() if a is not element)
        ):
            pieces.extend(node.tail.split())
    return pieces


def _page_number(text: str) -> int | None:
    """Return the page number a pager piece names ('第2页' or '2'), else None."""
    match = PAGE_NUMBER_RE.search(text)
    return int(match.group(1) or match.group(2)) if match else None


LAYOUT_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li")


def _unwrap_layout_tables(root):
    """Return the page with its layout tables (page grids, not data) turned into plain blocks."""
    # Decide on the original structure first: unwrapping an outer table changes what inner ones see.
    layout = [table for table in root.iter("table") if _is_layout_table(table)]
    for table in layout:
        for element in [table, *table.iterchildren("thead", "tbody", "tfoot")]:
            element.tag = "div"
        for row in table.xpath("./tr|./div/tr"):
            row.tag = "div"
            for cell in row.iterchildren("td", "th"):
                cell.tag = "div"
    return root


def _is_layout_table(table) -> bool:
    """Return True for a table used to lay out a page rather than to hold rows of data."""
    if table.xpath(".//table"):
        return True
    rows = table.xpath("./tr|./*/tr")
    cells = [row.xpath("./td|./th") for row in rows]
    filled = [[c for c in row if c.text_content().strip()] for row in cells]
    # Old CMS pages put each paragraph (or the whole article) in a one-column table.
    if all(len(row) <= 1 for row in filled):
        return True
    # A data cell holds a value; a layout cell holds paragraphs or headings.
    return any(
        len(cell.xpath(f"./{'|./'.join(LAYOUT_BLOCKS)}")) > 1 or cell.xpath(".//h1|.//h2|.//h3")
        for row in cells
        for cell in row
    )


PIPE_ROW_RE = re.compile(r"^\|(.*)\|$")
PIPE_RULE_RE = re.compile(r"^\|(\s*:?-+:?\s*\|)+$")
CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")


def _table_rows_as_tabs(text: str) -> str:
    """Return trafilatura's text with its '| a | b |' table rows as tab-separated cells."""
    lines = []
    for line in text.splitlines():
        match = PIPE_ROW_RE.match(line.strip())
        if PIPE_RULE_RE.match(line.strip()):
            continue
        if match:
            cells = (c.strip().replace("\\|", "|") for c in CELL_SPLIT_RE.split(match.group(1)))
            line = "\t".join(c for c in cells if c)
        lines.append(line)
    return "\n".join(lines)


def _page_title(root) -> str | None:
    """Return the page's headline: its first <h1>, else a heading named in <title>, else <title>."""
    title = _element_text(root.find(".//title"))
    for heading in root.xpath("//h1|//h2|//h3"):
        text = _element_text(heading)
        if text and (heading.tag == "h1" or (title and text in title)):
            return text
    return _without_site_name(title) or None


# <title> is often 'headline_channel_site' or 'headline - site'; a lone '—' with spaces
# separates too, but '——' (a subtitle dash) does not.
TITLE_SEPARATOR_RE = re.compile(r"\s*(?:_|\||｜|\s[-–—－]\s)\s*")
SITE_NAME_RE = re.compile(
    r"政府|网|门户|频道|官网|网站|在线|之窗|日报|晚报|新闻|委员会|办公厅|办公室|公众号|学习强国|"
    r"纪委|监委|[省市州盟区县旗]委$"
)
CHANNEL_MAX_CHARS = 8


def _without_site_name(title: str) -> str:
    """Return a <title> without the site and channel names that follow the headline."""
    parts = TITLE_SEPARATOR_RE.split(title)
    dropped = False
    # The site name comes last; once it is gone, short parts left of it are channels.
    while len(parts) > 1 and (
        (SITE_NAME_RE.search(parts[-1]) and len(parts[-1]) <= 20)
        or (dropped and len(parts[-1]) <= CHANNEL_MAX_CHARS)
    ):
        parts.pop()
        dropped = True
    return title if not dropped else "_".join(parts)


def _element_text(element) -> str:
    """Return the element's text with its whitespace runs collapsed ('' for None)."""
    return "" if element is None else " ".join(element.text_content().split())


# a labelled date, or a page stamp opening with date and clock time (2021-03-10 08:25 来源：…)
PUBLISH_RE = re.compile(
    r"(发布|发表|更新|时间|日期)\s*[:：]\s*\d{4}"
    r"|^\s*\d{4}\s*[-/年.]\s*\d{1,2}\s*[-/月.]\s*\d{1,2}\s*日?\s*\d{1,2}:\d{2}"
)


def _publish_line(root) -> str | None:
    """Return the page's short 'published on' line (发布时间: 2015-03-30 ...), if any."""
    found = [
        element
        for element in root.iter("div", "p", "span", "td", "li", "em", "time")
        if len(element.text_content()) < 300 and PUBLISH_RE.search(element.text_content())
    ]
    # The innermost match: a wrapper around the headline and the publish line is not it.
    for element in found:
        content = " ".join(element.text_content().split())
        if len(content) < 100 and not any(
            e is not element and element in e.iterancestors() for e in found
        ):
            return content
    return None


def _decode_html(data: bytes, charset: str | None = None) -> tuple[str, str, list[str]]:
    """Return (page, encoding, notes) decoded by BOM, <meta charset>, given charset or guess."""
    if not data:
        raise ReadError("empty file")
    if any(data.startswith(bom) for bom, _ in BOMS):
        return decode_text(data)
    match = META_CHARSET_RE.search(data[:8192])
    if match is None and charset is None:
        return decode_text(data)
    declared = match.group(1).decode("ascii").lower() if match else charset.lower()
    encoding = HTML_FAMILY.get(declared, declared)
    try:
        return data.decode(encoding), encoding, []
    except LookupError:
        return decode_text(data)
    except UnicodeDecodeError as err:
        declared_error = f"cannot decode as {declared.upper()} at byte {err.start}"
    # Pages often lie about their charset; trust the bytes if they decode another way.
    try:
        return decode_text(data)
    except ReadError as err:
        raise ReadError(f"{declared_error} (the page declares charset={declared})") from err


def _html_body_text(root) -> str:
    """Return the visible text of the page body, one line per block, without navigation."""
    root = copy.deepcopy(root)
    for bad in root.xpath("//script|//style|//nav|//header|//footer|//aside|//noscript|//form"):
        bad.drop_tree()
    for bad in [e for e in root.iter("div", "ul", "span", "td", "table") if _is_chrome(e)]:
        if bad.getparent() is not None:
            bad.drop_tree()
    blocks = root.xpath("//p|//div[not(.//p|.//div)]|//li|//h1|//h2|//h3|//td")
    return "\n".join(b.text_content().strip() for b in blocks if b.text_content().strip())


CHROME_RE = re.compile(
    r"nav|menu|head|foot|bread|crumb|position|location|share|related|relate|link|copyright|"
    r"banner|sidebar|toolbar|print|comment",
    re.I,
)


def _is_chrome(element) -> bool:
    """Return True for page furniture (menus, breadcrumbs, share bars) by class or id."""
    return bool(CHROME_RE.search(f"{element.get('class', '')} {element.get('id', '')}"))


def _tidy_lines(text: str) -> str:
    """Return text with one paragraph per line and no blank lines."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())
