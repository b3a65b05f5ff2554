"""帮助中心: the articles (shipped with the product, then edited by support), their history,
their safe rendering, the search and the context help of every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from markdown_it import MarkdownIt

from fapiao.core.clock import SHANGHAI
from fapiao.domain.articles import (
    TOPICS,
    ArticleRefused,
    article_check,
    article_parse,
    page_article,
    pages_of,
)
from fapiao.domain.helpsearch import Document, Index, excerpt
from fapiao.security.audit import audit_append
from fapiao.support.models import Article, ArticleRevision

SHIPPED = Path(__file__).with_name("shipped")
#: raw HTML in an article is shown as text; links other than http(s), mailto and the site's own
#: are dropped by the parser's own link check
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def article_html(body: str) -> str:
    """An article's Markdown as HTML in which no markup of the writer's runs."""
    return _MARKDOWN.render(body)


@transaction.atomic
def article_save(
    *,
    slug: str,
    topic: str,
    title: str,
    body: str,
    pages: str = "",
    published: bool = True,
    actor: str,
    article: Article | None = None,
    shipped: bool = False,
    at: datetime | None = None,
) -> Article:
    """Write an article (a new one, or a new version of ``article``), keeping every version."""
    slug, title = slug.strip(), title.strip()
    article_check(slug=slug, topic=topic, title=title, body=body)
    addresses = ", ".join(pages_of(pages))
    at = at or timezone.now()
    taken = Article.objects.filter(slug=slug)
    if article is not None:
        taken = taken.exclude(pk=article.pk)
    if taken.exists():
        raise ArticleRefused("文章地址已被其他文章使用", field="slug")
    before = None
    if article is None:
        article = Article(version=1, shipped=shipped)
    else:
        article = Article.objects.select_for_update().get(pk=article.pk)
        before = {"title": article.title, "published": article.published}
        article.version += 1
    article.slug, article.topic, article.title, article.body = slug, topic, title, body
    article.pages, article.published = addresses, published
    article.updated_at, article.updated_by = at, actor
    article.save()
    ArticleRevision.objects.create(
        article=article,
        version=article.version,
        topic=topic,
        title=title,
        body=body,
        pages=addresses,
        published=published,
        edited_at=at,
        edited_by=actor,
    )
    if not shipped:  # the shipped ones are the product's own (their revision says so)
        audit_append(
            "article.created" if before is None else "article.updated",
            actor=actor,
            at=at,
            payload={
                "slug": slug,
                "version": article.version,
                "published": published,
                **({"before": before} if before else {}),
            },
        )
    return article


def shipped_articles() -> list[Any]:
    """The articles that ship with the product, read from their files."""
    return [
        article_parse(path.read_text(encoding="utf-8")) for path in sorted(SHIPPED.glob("*.md"))
    ]


def articles_install() -> int:
    """Add the shipped articles the help centre does not have yet (an article support has
    edited or removed is left as it is); returns how many were added."""
    have = set(Article.objects.values_list("slug", flat=True))
    added = 0
    for text in shipped_articles():
        if text.slug in have:
            continue
        at = (
            datetime.combine(text.updated, time(9), tzinfo=SHANGHAI)
            if text.updated
            else timezone.now()
        )
        article_save(
            slug=text.slug,
            topic=text.topic,
            title=text.title,
            body=text.body,
            pages=", ".join(text.pages),
            actor="system",
            shipped=True,
            at=at,
        )
        added += 1
    return added


def articles_install_after_migrate(**kwargs: Any) -> None:
    from django.db import connections

    using = kwargs.get("using", "default")
    if (
        using != "default"
        or "support_article" not in connections[using].introspection.table_names()
    ):
        return
    articles_install()


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    article: Article
    excerpt: str


_cache: dict[str, Any] = {}


def _published() -> tuple[Any, dict[str, Article]]:
    """The published articles, re-read only when one changed."""
    stamp = Article.objects.filter(published=True).aggregate(
        n=Count("pk"), at=Max("updated_at"), v=Max("version")
    )
    key = (stamp["n"], stamp["at"], stamp["v"])
    if _cache.get("key") != key:
        articles = {a.slug: a for a in Article.objects.filter(published=True)}
        _cache["index"] = Index(Document(a.slug, a.title, a.body) for a in articles.values())
        _cache["articles"] = articles
        _cache["pages"] = {
            address: a.slug for a in articles.values() for address in pages_of(a.pages)
        }
        _cache["key"] = key
    return _cache["index"], _cache["articles"]


def articles_forget() -> None:
    _cache.clear()


def articles_search(query: str, *, limit: int = 10) -> list[Found]:
    """The published articles that best answer ``query`` (in Chinese or not), best first."""
    query = query.strip()[:100]
    if not query:
        return []
    index, articles = _published()
    return [
        Found(articles[hit.key], excerpt(articles[hit.key].body, query))
        for hit in index.search(query, limit=limit)
    ]


def articles_by_topic() -> list[tuple[str, str, list[Article]]]:
    _index, articles = _published()
    return [
        (
            key,
            label,
            sorted((a for a in articles.values() if a.topic == key), key=lambda a: a.title),
        )
        for key, label in TOPICS.items()
    ]


def article_published(slug: str) -> Article | None:
    return _published()[1].get(slug)


def article_for_page(path: str) -> Article | None:
    """The article the 帮助 link of the page at ``path`` opens."""
    _published()
    slug = page_article(path, _cache["pages"])
    return None if slug is None else _cache["articles"].get(slug)
