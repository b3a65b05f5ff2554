"""Help articles: their topics and the file format they ship in.

A shipped article is a Markdown file that starts with a header of ``name: value`` lines and a
line ``---``::

    slug: account-locked
    topic: account
    title: 账户被锁定怎么办
    pages: /accounts/login/, /settings/users/
    updated: 2026-11-20
    ---
    连续输错密码 5 次……

``pages`` names the addresses whose 帮助 link opens the article (a page matches the longest
address it starts with).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from fapiao.domain.errors import DomainError, Text

#: the help centre's topics, in the order the help centre shows them
TOPICS: dict[str, str] = {
    "account": "登录与账户",
    "issuing": "开具发票",
    "corrections": "红字与作废",
    "closing": "申报与清卡",
    "verification": "查验",
    "received": "进项与报销",
    "faq": "常见问题",
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TITLE_MAX = 80
BODY_MAX = 50_000


class ArticleRefused(DomainError):
    code = "article"


@dataclass(frozen=True)
class ArticleText:
    slug: str
    topic: str
    title: str
    body: str
    pages: tuple[str, ...] = ()
    updated: date | None = None


def article_check(*, slug: str, topic: str, title: str, body: str) -> None:
    """Refuse an article whose address, topic, title or text is missing or malformed."""
    if not SLUG.match(slug) or len(slug) > 60:
        raise ArticleRefused("文章地址只能使用小写字母、数字和连字符（最多60个字符）", field="slug")
    if topic not in TOPICS:
        raise ArticleRefused("请选择文章分类", field="topic")
    if not title.strip():
        raise ArticleRefused("请填写标题", field="title")
    if len(title) > TITLE_MAX:
        raise ArticleRefused(Text("标题不能超过{0}个字符", TITLE_MAX), field="title")
    if not body.strip():
        raise ArticleRefused("请填写正文", field="body")
    if len(body) > BODY_MAX:
        raise ArticleRefused(Text("正文不能超过{0}个字符", BODY_MAX), field="body")


def pages_of(text: str) -> tuple[str, ...]:
    """The page addresses of a comma-separated list, each starting and ending with ``/``."""
    found = []
    for part in text.replace("，", ",").split(","):
        address = part.strip()
        if not address:
            continue
        if not address.startswith("/") or any(c.isspace() for c in address):
            raise ArticleRefused(Text("页面地址“{0}”应以 / 开头", address), field="pages")
        found.append(address)
    return tuple(found)


def article_parse(text: str) -> ArticleText:
    """A shipped article file's header and Markdown body."""
    head, separator, body = text.partition("\n---\n")
    if not separator:
        raise ArticleRefused("文章文件缺少以 --- 结束的文件头", field="header")
    fields: dict[str, str] = {}
    for line in head.splitlines():
        if line.strip():
            name, colon, value = line.partition(":")
            if not colon:
                raise ArticleRefused(Text("文件头的“{0}”应为 名称: 值", line), field="header")
            fields[name.strip()] = value.strip()
    slug, topic, title = fields.get("slug", ""), fields.get("topic", ""), fields.get("title", "")
    article_check(slug=slug, topic=topic, title=title, body=body)
    updated = None
    if fields.get("updated"):
        try:
            updated = date.fromisoformat(fields["updated"])
        except ValueError:
            raise ArticleRefused("updated 应为 YYYY-MM-DD", field="updated") from None
    return ArticleText(
        slug, topic, title, body.strip() + "\n", pages_of(fields.get("pages", "")), updated
    )


def page_article(path: str, pages: dict[str, str]) -> str | None:
    """The article (by slug) whose page address ``path`` falls under most closely, from
    ``pages`` (address → slug); the home page matches only itself."""
    best, found = 0, None
    for address, slug in pages.items():
        fits = path == address or (address != "/" and path.startswith(address))
        if fits and len(address) > best:
            best, found = len(address), slug
    return found
