"""articles.csv of the customer data package: articles with their category, audience and body
(Markdown or HTML, converted to the house layout and sanitised like every other body)."""

from __future__ import annotations

from typing import ClassVar

from django.utils import timezone

from ckm.core.audit import ImportedRecord, audit_import_rows, snapshot
from ckm.core.imports.registry import Column, FileLoader, LoadContext, Row
from ckm.customers.loaders import product_ids, usernames
from ckm.knowledge import content
from ckm.knowledge.models import Article
from ckm.knowledge.services.articles import AUDITED, _version_save, render_body, unique_slug
from ckm.knowledge.services.embedding import embed_after_commit
from ckm.knowledge.services.taxonomy import category_ensure


class ArticleLoader(FileLoader):
    filename = "articles.csv"
    order = 70
    key = "article_id"
    batch_size = 500
    columns: ClassVar = [
        Column("article_id", required=True, max_length=64),
        Column("title", required=True, max_length=200),
        Column("body", required=True),
        Column("category", max_length=400),
        Column("audience", choices=("internal", "public")),
        Column("summary"),
        Column("status", choices=tuple(Article.Status.values)),
        Column("tags", max_length=400),
        Column("products", max_length=1000),
        Column("owner", max_length=150),
        Column("review_at", "date"),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        v = row.values
        problems = []
        known = product_ids(ctx)
        for product in _split(v["products"], ";"):
            if product not in known:
                problems.append(("products", f"unknown product id {product!r}"))
                break
        if v["owner"] and v["owner"].lower() not in usernames(ctx):
            problems.append(("owner", f"no user with the username {v['owner']!r}"))
        return problems

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        existing = {
            a.external_id: a for a in Article.objects.filter(external_id__in=[r.key for r in rows])
        }
        products, users = product_ids(ctx), usernames(ctx)
        inserted = updated = 0
        changed: list[int] = []
        records: list[ImportedRecord] = []
        for row in rows:
            v = row.values
            article = existing.get(row.key) or Article(external_id=row.key)
            is_new = article.pk is None
            body = v["body"] or ""
            source_format = (
                Article.SourceFormat.HTML
                if content.looks_like_html(body)
                else Article.SourceFormat.MARKDOWN
            )
            before = (article.title, article.body_source, article.summary)
            audited_before = None if is_new else snapshot(article, AUDITED)
            article.title = v["title"].strip()
            article.source_format = source_format
            article.body_source = body
            article.body_html = render_body(body, source_format)
            article.body_text = content.plain_text(article.body_html)
            article.summary = (v["summary"] or "").strip() or _summary(body, article.body_text)
            if v["category"]:
                article.category = category_ensure(path=v["category"])
            if v["audience"]:
                article.audience = v["audience"]
            if v["tags"] is not None:
                article.tags = [t.strip().lower() for t in _split(v["tags"], ",")][:20]
            if v["owner"]:
                article.owner_id = users.get(v["owner"].lower())
            if v["review_at"]:
                article.review_at = v["review_at"]
            if v["status"]:
                article.status = v["status"]
                if v["status"] == Article.Status.PUBLISHED and not article.published_at:
                    article.published_at = timezone.now()
            if is_new:
                article.slug = unique_slug(article.title)
            elif before[0] != article.title:
                article.slug = unique_slug(article.title, exclude_id=article.pk)
            article.save()
            if v["products"] is not None:
                article.products.set([products[p] for p in _split(v["products"], ";")])
            if is_new or before != (article.title, article.body_source, article.summary):
                _version_save(article, actor=ctx.user, note=f"Imported (run {ctx.run_id})")
                changed.append(article.pk)
            inserted += is_new
            updated += not is_new
            records.append(
                ImportedRecord(
                    pk=article.pk,
                    label=article.title,
                    line=row.line,
                    before=audited_before,
                    after=snapshot(article, AUDITED),
                )
            )
        audit_import_rows(
            actor=ctx.user,
            object_type="knowledge.article",
            file=self.filename,
            run_id=ctx.run_id,
            records=records,
        )
        embed_after_commit(changed)
        return inserted, updated


def _split(value: str | None, separator: str) -> list[str]:
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


def _summary(body: str, text: str) -> str:
    """The first paragraph of the body (the demo's house style starts with the summary)."""
    return content.first_paragraph(text)
