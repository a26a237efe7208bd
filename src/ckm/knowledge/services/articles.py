"""Writing articles: create and update (every save is a version), the workflow draft → in review
→ published → archived with an editor's approval, scheduled publish and expiry, restore."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify

from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import ConflictError, DomainError, NotFound, ValidationError, indefinite
from ckm.core.permissions import require_perm
from ckm.customers.models import Product
from ckm.knowledge import content
from ckm.knowledge.models import Article, ArticleTemplate, ArticleVersion, Category
from ckm.knowledge.selectors import article_revision
from ckm.knowledge.services.taxonomy import category_ensure

PUBLISH = "knowledge.publish_article"
AUDITED = ("title", "slug", "summary", "status", "audience", "category_id", "owner_id", "tags",
           "review_at", "publish_at", "expires_at", "published_at", "source_format")  # fmt: skip

# which workflow steps may follow which
TRANSITIONS: dict[str, set[str]] = {
    Article.Status.DRAFT: {Article.Status.IN_REVIEW, Article.Status.PUBLISHED},
    Article.Status.IN_REVIEW: {Article.Status.DRAFT, Article.Status.PUBLISHED},
    Article.Status.PUBLISHED: {Article.Status.ARCHIVED, Article.Status.DRAFT},
    Article.Status.ARCHIVED: {Article.Status.DRAFT, Article.Status.PUBLISHED},
}


def unique_slug(title: str, *, exclude_id: int | None = None) -> str:
    """A URL slug from the title's words, made unique with a number when taken."""
    # markup typed into a title is not part of its words (nor is a script's content)
    base = slugify(content.plain_text(title))[:200] or "article"
    slug, n = base, 1
    taken = Article.objects.exclude(pk=exclude_id) if exclude_id else Article.objects.all()
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def render_body(source: str, source_format: str) -> str:
    """The stored, sanitised HTML of a body in its source format."""
    if source_format == Article.SourceFormat.MARKDOWN:
        return content.markdown_to_html(source)
    return content.html_to_house(source)


def _apply_body(article: Article, *, source: str, source_format: str) -> None:
    article.source_format = source_format
    article.body_source = source
    article.body_html = render_body(source, source_format)
    article.body_text = content.plain_text(article.body_html)
    if not article.summary.strip():
        article.summary = content.first_paragraph(article.body_text)


def _version_save(
    article: Article,
    *,
    actor: Any,
    note: str,
    text: Article | None = None,
    changes: dict[str, Any] | None = None,
) -> ArticleVersion:
    """The next version of the article: its own text, or (with `text`, an unsaved copy holding
    a revision's text, and the revision's other `changes`) a revision that is not live."""
    number = (article.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    if text is None:
        Article.objects.filter(pk=article.pk).update(version_number=number)
        article.version_number = number
    else:
        Article.objects.filter(pk=article.pk).update(revision_number=number)
        article.revision_number = number
    source = text or article
    return ArticleVersion.objects.create(
        article=article,
        number=number,
        title=source.title,
        summary=source.summary,
        body_html=source.body_html,
        body_source=source.body_source,
        source_format=source.source_format,
        status=article.status if text is None else ArticleVersion.REVISION,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        note=note[:200],
        changes=changes or {},
    )


def _products(ids: Iterable[int | str]) -> list[Product]:
    wanted = [int(i) for i in ids]
    found = list(Product.objects.filter(pk__in=wanted))
    if len(found) != len(set(wanted)):
        raise DomainError("Unknown product.", field="products")
    return found


def _category(category: Category | str | int | None) -> Category | None:
    if category is None or category == "":
        return None
    if isinstance(category, Category):
        return category
    if isinstance(category, int) or (str(category).isascii() and str(category).isdigit()):
        found = Category.objects.filter(pk=int(category)).first()
        if found is None:
            raise DomainError("Unknown category.", field="category")
        return found
    return category_ensure(path=str(category))


TAG_MAX_LENGTH = 40
TAGS_MAX = 20


def _tags(tags: Iterable[str] | str) -> list[str]:
    """The tags as kept: trimmed, lower case, each once; a tag too long or too many tags are
    refused, not cut."""
    items = tags.split(",") if isinstance(tags, str) else list(tags)
    seen: list[str] = []
    for tag in items:
        tag = str(tag).strip().lower()
        if len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(
                {"tags": f"A tag has at most {TAG_MAX_LENGTH} characters: {tag[:20]!r}… is longer."}
            )
        if tag and tag not in seen:
            seen.append(tag)
    if len(seen) > TAGS_MAX:
        raise ValidationError({"tags": f"An article has at most {TAGS_MAX} tags."})
    return seen


def _review_date_check(review_at: Any, *, current: dt.date | None = None) -> None:
    """Refuse a next review before today; a date left as it was (an overdue review being
    worked on) passes."""
    if not isinstance(review_at, dt.date) or review_at == current:
        return
    today = timezone.localdate()
    if review_at < today:
        raise ValidationError(
            {
                "review_at": f"The next review cannot be before today ({today:%Y-%m-%d}); "
                f"{review_at:%Y-%m-%d} has passed."
            }
        )


def _after_save(article: Article) -> None:
    from ckm.knowledge.services.embedding import embed_after_commit

    embed_after_commit([article.pk])


@transaction.atomic
def article_create(
    *,
    actor: Any,
    title: str,
    summary: str = "",
    body_source: str = "",
    source_format: str = Article.SourceFormat.MARKDOWN,
    category: Category | str | int | None = None,
    audience: str = Article.Audience.INTERNAL,
    products: Sequence[int | str] = (),
    tags: Iterable[str] | str = (),
    template: ArticleTemplate | None = None,
    owner: Any = None,
    review_at: dt.date | None = None,
    publish_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    external_id: str | None = None,
    note: str = "Created",
    system: bool = False,
) -> Article:
    """A new draft article (version 1). `system` marks work no user asked for (imports, drafts
    proposed by another app without a user)."""
    if not system:
        require_perm(actor, "knowledge.add_article")
    if publish_at is not None:
        require_perm(actor, PUBLISH)
    _review_date_check(review_at)
    if template is not None and not body_source.strip():
        body_source = content.template_markdown(template.sections)
    article = Article(
        title=title.strip(),
        summary=(summary or "").strip(),
        category=_category(category),
        audience=audience,
        template=template,
        owner=owner or (actor if getattr(actor, "is_authenticated", False) else None),
        team=getattr(actor, "team", None),
        tags=_tags(tags),
        review_at=review_at or (timezone.localdate() + dt.timedelta(days=365)),
        publish_at=publish_at,
        expires_at=expires_at,
        external_id=external_id or None,
        status=Article.Status.DRAFT,
    )
    _apply_body(article, source=body_source, source_format=source_format)
    article.slug = unique_slug(article.title)
    article.full_clean()
    article.save()
    if products:
        article.products.set(_products(products))
    _version_save(article, actor=actor, note=note)
    after = {**snapshot(article, AUDITED), "products": _product_names(article)}
    audit_record(actor=actor, action="create", obj=article, after=after)
    _after_save(article)
    return article


@transaction.atomic
def article_update(*, actor: Any, article: Article, note: str = "Edited", **fields: Any) -> Article:
    """Change an article's fields or body; the result is a new version."""
    require_perm(actor, "knowledge.change_article")
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status == Article.Status.ARCHIVED:
        raise ConflictError("An archived article cannot be edited; restore it to a draft first.")
    if article.status == Article.Status.PUBLISHED and not actor.has_perm(PUBLISH):
        # a published article's changes are live at once: only who may publish makes them
        # (others save a revision: article_revise)
        raise PermissionDenied(
            "Only an editor who may publish changes a published article; save a revision."
        )
    # a live save supersedes a revision still waiting (it stays in the history)
    article.revision_number = None
    before = {**snapshot(article, AUDITED), "products": _product_names(article)}
    if ("publish_at" in fields or "expires_at" in fields) and not actor.has_perm(PUBLISH):
        raise DomainError("Only an editor who may publish schedules articles.", field="publish_at")
    if "body_source" in fields or "source_format" in fields:
        _apply_body(
            article,
            source=fields.pop("body_source", article.body_source),
            source_format=fields.pop("source_format", article.source_format),
        )
    if "category" in fields:
        article.category = _category(fields.pop("category"))
    if "tags" in fields:
        article.tags = _tags(fields.pop("tags"))
    if "review_at" in fields:
        _review_date_check(fields["review_at"], current=article.review_at)
    products = fields.pop("products", None)
    for name in ("title", "summary", "audience", "review_at", "publish_at", "expires_at", "owner"):
        if name in fields:
            value = fields.pop(name)
            setattr(article, name, value.strip() if isinstance(value, str) else value)
    if fields:
        raise DomainError(f"Unknown field {sorted(fields)[0]}.", field=sorted(fields)[0])
    if article.title != before["title"]:
        article.slug = unique_slug(article.title, exclude_id=article.pk)
    article.full_clean()
    article.save()
    if products is not None:
        article.products.set(_products(products))
    _version_save(article, actor=actor, note=note)
    after = {**snapshot(article, AUDITED), "products": _product_names(article)}
    audit_record(actor=actor, action="update", obj=article, before=before, after=after)
    _after_save(article)
    return article


def _product_names(article: Article) -> list[str]:
    """The products an article concerns, for its audit entries (a change of them alone counts)."""
    return sorted(article.products.values_list("name", flat=True)) if article.pk else []


TEXT_FIELDS = ("title", "summary", "body_source", "source_format")
REVISABLE = {*TEXT_FIELDS, "category", "audience", "products", "tags", "review_at"}


@transaction.atomic
def article_revise(
    *, actor: Any, article: Article, note: str = "Revision", **fields: Any
) -> ArticleVersion:
    """Save a change to a published article as a revision for review: a version of its own
    (diffable like any other); the published text stays live until an editor publishes the
    revision (article_publish). A newer revision replaces the one waiting."""
    require_perm(actor, "knowledge.change_article")
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status != Article.Status.PUBLISHED:
        raise ConflictError("Only a published article takes a revision; edit the article itself.")
    unknown = set(fields) - REVISABLE
    if unknown:
        raise DomainError(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    if "review_at" in fields:
        _review_date_check(fields["review_at"], current=article.review_at)
    # the text as it will read: the fields given over the live article (a scratch copy)
    draft = Article(
        title=str(fields.get("title", article.title)).strip(),
        summary=str(fields.get("summary", article.summary)).strip(),
    )
    _apply_body(
        draft,
        source=fields.get("body_source", article.body_source),
        source_format=fields.get("source_format", article.source_format),
    )
    if not draft.title:
        raise ValidationError({"title": "An article needs a title."})
    if not strip_tags(draft.body_html).strip():
        raise ValidationError({"body_source": "Write the article's body."})
    changes = {k: v for k, v in fields.items() if k not in TEXT_FIELDS}
    if isinstance(changes.get("review_at"), dt.date):
        changes["review_at"] = changes["review_at"].isoformat()
    if "category" in changes and isinstance(changes["category"], Category):
        changes["category"] = changes["category"].path
    version = _version_save(article, actor=actor, note=note, text=draft, changes=changes)
    number = version.number
    audit_record(
        actor=actor,
        action="update",
        obj=article,
        after={"revision_number": number},
        summary=f"Revision {number} saved for review",
    )
    return version


@transaction.atomic
def article_revision_discard(*, actor: Any, article: Article) -> Article:
    """Drop the waiting revision (it stays in the history); the published text is unchanged."""
    require_perm(actor, "knowledge.change_article")
    article = Article.objects.select_for_update().get(pk=article.pk)
    if not article.revision_number:
        raise ConflictError("No revision waits for review.")
    number = article.revision_number
    article.revision_number = None
    article.save(update_fields=["revision_number", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=article,
        before={"revision_number": number},
        after={"revision_number": None},
        summary=f"Revision {number} discarded",
    )
    return article


def _revision_publish(*, actor: Any, article: Article) -> Article:
    """An editor publishes the waiting revision: its text and changes become the live article
    (a live save, which also clears the revision)."""
    revision = article_revision(article)
    if revision is None:
        raise ConflictError("The revision is gone; nothing to publish.")
    changes = dict(revision.changes)
    if changes.get("review_at"):
        changes["review_at"] = dt.date.fromisoformat(changes["review_at"])
    return article_update(
        actor=actor,
        article=article,
        note=f"Published revision {revision.number}: {revision.note}"[:200],
        title=revision.title,
        summary=revision.summary,
        body_source=revision.body_source,
        source_format=revision.source_format,
        **changes,
    )


@transaction.atomic
def article_docx_upload(
    *,
    actor: Any,
    fileobj: IO[bytes],
    filename: str = "",
    article: Article | None = None,
    title: str = "",
    **fields: Any,
) -> tuple[Article, list[str]]:
    """A Word document converted to the house layout: a new draft, or a new version of `article`."""
    try:
        html, warnings = content.docx_to_html(fileobj)
    except Exception as exc:  # mammoth raises many kinds on a broken file
        raise DomainError(
            f"This is not a Word document we can read ({exc}).", field="file"
        ) from exc
    note = f"Uploaded {filename}".strip()
    if article is not None:
        updated = article_update(
            actor=actor,
            article=article,
            body_source=html,
            source_format=Article.SourceFormat.DOCX,
            note=note,
            **fields,
        )
        return updated, warnings
    title = title.strip() or (filename.rsplit(".", 1)[0].replace("_", " ").strip() or "Untitled")
    created = article_create(
        actor=actor,
        title=title,
        body_source=html,
        source_format=Article.SourceFormat.DOCX,
        note=note,
        **fields,
    )
    return created, warnings


def _transition(article: Article, target: str) -> None:
    if target not in TRANSITIONS.get(article.status, set()):
        raise ConflictError(
            f"{indefinite(article.get_status_display().lower() + ' article')} cannot become "
            f"{Article.Status(target).label.lower()}."
        )


def _set_status(*, actor: Any, article: Article, target: str, note: str, **changes: Any) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    _transition(article, target)
    before = snapshot(article, AUDITED)
    article.status = target
    if target != Article.Status.PUBLISHED:
        article.revision_number = None  # a revision belongs to the published article
    for name, value in changes.items():
        setattr(article, name, value)
    article.save()
    _version_save(article, actor=actor, note=note)
    audit_record(
        actor=actor,
        action="update",
        obj=article,
        before=before,
        after=snapshot(article, AUDITED),
        summary=note,
    )
    return article


@transaction.atomic
def article_submit(*, actor: Any, article: Article) -> Article:
    """An author asks an editor to approve the draft."""
    require_perm(actor, "knowledge.change_article")
    return _set_status(
        actor=actor, article=article, target=Article.Status.IN_REVIEW, note="Sent for review"
    )


@transaction.atomic
def article_publish(
    *, actor: Any, article: Article, at: dt.datetime | None = None, expires_at: Any = ...
) -> Article:
    """An editor approves: published now, or (with `at` in the future) scheduled for then."""
    require_perm(actor, PUBLISH)
    if article.status == Article.Status.PUBLISHED and article.revision_number:
        if at is not None and at > timezone.now():
            raise DomainError("A revision is published at once.", field="at")
        return _revision_publish(actor=actor, article=article)
    if not strip_tags(article.body_html).strip():
        raise DomainError("Write the article's body before publishing it.", field="body")
    now = timezone.now()
    extra: dict[str, Any] = {}
    if expires_at is not ...:
        if expires_at is not None and expires_at <= (at or now):
            raise DomainError("The expiry must come after publishing.", field="expires_at")
        extra["expires_at"] = expires_at
    if at is not None and at > now:
        # approved, waiting for its time: the scheduler (and every read) publishes it then
        if article.status == Article.Status.DRAFT:
            article = _set_status(
                actor=actor, article=article, target=Article.Status.IN_REVIEW, note="Approved"
            )
        locked = Article.objects.select_for_update().get(pk=article.pk)
        before = snapshot(locked, AUDITED)
        locked.publish_at = at
        for name, value in extra.items():
            setattr(locked, name, value)
        locked.save(update_fields=["publish_at", "expires_at", "updated_at"])
        audit_record(
            actor=actor,
            action="update",
            obj=locked,
            before=before,
            after=snapshot(locked, AUDITED),
            summary=f"Scheduled to publish at {at:%Y-%m-%d %H:%M}",
        )
        return locked
    return _set_status(
        actor=actor,
        article=article,
        target=Article.Status.PUBLISHED,
        note="Published",
        published_at=now,
        publish_at=None,
        reviewed_at=now,
        **extra,
    )


REJECT_REASON_MAX = 150  # the version note holds "Sent back: " and the reason


@transaction.atomic
def article_reject(*, actor: Any, article: Article, reason: str = "") -> Article:
    """An editor sends an article in review back to its author as a draft."""
    require_perm(actor, PUBLISH)
    if article.status != Article.Status.IN_REVIEW:
        raise ConflictError("Only an article in review can be sent back.")
    reason = reason.strip()
    if len(reason) > REJECT_REASON_MAX:
        raise ValidationError(
            {"reason": f"At most {REJECT_REASON_MAX} characters (it has {len(reason)})."}
        )
    note = f"Sent back: {reason}".strip().rstrip(":") if reason else "Sent back"
    return _set_status(
        actor=actor, article=article, target=Article.Status.DRAFT, note=note, publish_at=None
    )


@transaction.atomic
def article_archive(*, actor: Any, article: Article) -> Article:
    """Take a published article out of use (kept with its versions)."""
    require_perm(actor, PUBLISH)
    return _set_status(
        actor=actor, article=article, target=Article.Status.ARCHIVED, note="Archived"
    )


@transaction.atomic
def article_reopen(*, actor: Any, article: Article) -> Article:
    """An archived or published article back to a draft for rework."""
    require_perm(actor, PUBLISH)
    return _set_status(
        actor=actor, article=article, target=Article.Status.DRAFT, note="Reopened as a draft"
    )


@transaction.atomic
def article_reviewed(
    *, actor: Any, article: Article, next_review: dt.date | None = None
) -> Article:
    """An editor confirms the article is still right: last review now, next review in a year."""
    require_perm(actor, "knowledge.change_article")
    _review_date_check(next_review)
    before = snapshot(article, AUDITED)
    article.reviewed_at = timezone.now()
    article.review_at = next_review or (timezone.localdate() + dt.timedelta(days=365))
    article.save(update_fields=["reviewed_at", "review_at", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=article,
        before=before,
        after=snapshot(article, AUDITED),
        summary="Reviewed",
    )
    return article


@transaction.atomic
def article_restore(*, actor: Any, article: Article, number: int) -> Article:
    """Copy an old version's text back as the newest version. On a published article it becomes
    the revision waiting for review (article_revise): the live text stays until it is published."""
    require_perm(actor, "knowledge.change_article")
    version = ArticleVersion.objects.filter(article=article, number=number).first()
    if version is None:
        raise NotFound("No such version.")
    text = {
        "title": version.title,
        "summary": version.summary,
        "body_source": version.body_source,
        "source_format": version.source_format,
    }
    if article.status == Article.Status.PUBLISHED:
        article_revise(actor=actor, article=article, note=f"Restored version {number}", **text)
        article.refresh_from_db()
        return article
    if article.status == Article.Status.ARCHIVED:
        article = article_reopen(actor=actor, article=article)
    return article_update(actor=actor, article=article, note=f"Restored version {number}", **text)


@transaction.atomic
def articles_schedule_apply(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Publish approved articles whose time has come; archive expired ones (the scheduler's work)."""
    now = now or timezone.now()
    published = archived = 0
    due = Article.objects.select_for_update().filter(
        status=Article.Status.IN_REVIEW, publish_at__isnull=False, publish_at__lte=now
    )
    for article in due:
        _set_status(
            actor=None,
            article=article,
            target=Article.Status.PUBLISHED,
            note="Published as scheduled",
            published_at=article.publish_at,
            publish_at=None,
            reviewed_at=now,
        )
        published += 1
    expired = Article.objects.select_for_update().filter(
        status=Article.Status.PUBLISHED, expires_at__isnull=False, expires_at__lte=now
    )
    for article in expired:
        _set_status(actor=None, article=article, target=Article.Status.ARCHIVED, note="Expired")
        archived += 1
    return {"published": published, "archived": archived}


@transaction.atomic
def article_draft_create(
    *,
    actor: Any,
    title: str,
    summary: str,
    body_markdown: str,
    tags: Iterable[str] = (),
) -> Article:
    """A draft for an editor to finish, e.g. from a complaint topic or a knowledge gap."""
    return article_create(
        actor=actor,
        title=title,
        summary=summary,
        body_source=body_markdown,
        source_format=Article.SourceFormat.MARKDOWN,
        # proposed by the system, not typed: a tag too long is shortened, not a reason to fail
        tags=[str(t).strip()[:TAG_MAX_LENGTH] for t in tags][:TAGS_MAX],
        note="Draft proposed",
        system=actor is None,
    )
