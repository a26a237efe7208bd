"""API of knowledge: list, search, read, create, change and publish articles; record which article
answered a customer message; suggestions for a message. Thin: schemas validate, services write,
selectors read."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ckm.core.apikit import In, Pages, Patch, sent_fields
from ckm.core.http import AuthedRequest
from ckm.core.permissions import require_perm
from ckm.customers.selectors import customer_get
from ckm.knowledge import selectors, services
from ckm.knowledge.models import Article, ArticleVersion, SearchQuery
from ckm.knowledge.services.articles import REJECT_REASON_MAX, TAG_MAX_LENGTH, TAGS_MAX

router = Router(tags=["knowledge"])

Audience = Literal["internal", "public"]
SourceFormat = Literal["md", "html"]
Tag = Annotated[str, Field(max_length=TAG_MAX_LENGTH)]


class ArticleOut(Schema):
    id: int
    external_id: str | None
    title: str
    slug: str
    url: str
    summary: str
    status: str
    audience: str
    category: str | None
    tags: list[str]
    products: list[int]
    owner: str | None
    version: int
    revision: int | None = Field(
        None,
        description="A change waiting for review (its version number); the live text is "
        "unchanged until it is published",
    )
    published_at: dt.datetime | None
    publish_at: dt.datetime | None
    expires_at: dt.datetime | None
    review_at: dt.date | None
    views: int
    helpful_yes: int
    helpful_no: int

    @staticmethod
    def resolve_url(a: Article) -> str:
        return a.get_absolute_url()

    @staticmethod
    def resolve_category(a: Article) -> str | None:
        return a.category.path if a.category_id and a.category else None

    @staticmethod
    def resolve_owner(a: Article) -> str | None:
        return a.owner.username if a.owner_id and a.owner else None

    @staticmethod
    def resolve_version(a: Article) -> int:
        return a.version_number

    @staticmethod
    def resolve_revision(a: Article) -> int | None:
        return a.revision_number

    @staticmethod
    def resolve_products(a: Article) -> list[int]:
        return [p.pk for p in a.products.all()]


class ArticleDetailOut(ArticleOut):
    body_html: str
    body_source: str
    source_format: str


class ArticleFilterIn(In):
    q: str = Field("", description="Title contains")
    status: Literal["", "draft", "in_review", "published", "archived"] = ""
    audience: Literal["", "internal", "public"] = ""
    category_id: int | None = None
    product_id: int | None = None


@router.get(
    "/knowledge/articles",
    response=list[ArticleOut],
    summary="Articles you may read (editors: every status)",
)
@paginate(Pages, page_size=50)
def article_list(request: AuthedRequest, filters: Query[ArticleFilterIn]) -> Any:
    require_perm(request.user, "knowledge.view_article")
    return (
        selectors.article_list(
            user=request.user,
            filters=selectors.ArticleFilters(**filters.dict()),
        )
        .select_related("owner", "category")
        .prefetch_related("products")
    )


class SearchHitOut(Schema):
    article: ArticleOut
    score: float
    snippet_html: str
    lexical_rank: int | None
    semantic_rank: int | None
    similarity: float | None


class SearchOut(Schema):
    query: str
    corrected: str
    good_answer: bool
    top_score: float
    hits: list[SearchHitOut]


class SearchIn(In):
    q: str = Field(..., min_length=1, max_length=300)
    audience: Literal["", "internal", "public"] = ""
    category_id: int | None = None
    product_id: int | None = None
    mode: Literal["hybrid", "lexical", "semantic"] = "hybrid"
    limit: int = Field(10, ge=1, le=50)


@router.get(
    "/knowledge/search",
    response=SearchOut,
    summary="Search articles by words and meaning (ranked, highlighted snippets)",
)
def article_search(request: AuthedRequest, params: Query[SearchIn]) -> dict[str, Any]:
    require_perm(request.user, "knowledge.view_article")
    result = selectors.article_search(
        user=request.user,
        query=params.q,
        audience=params.audience or None,
        category_id=params.category_id,
        product_id=params.product_id,
        mode=params.mode,
        limit=params.limit,
    )
    services.search_query_record(
        user=request.user,
        query=params.q,
        where=SearchQuery.Where.API,
        results=len(result.hits),
        top_score=result.top_score,
    )
    return {
        "query": result.query,
        "corrected": result.corrected,
        "good_answer": result.good_answer,
        "top_score": result.top_score,
        "hits": [
            {
                "article": h.article,
                "score": h.score,
                "snippet_html": h.snippet,
                "lexical_rank": h.lexical_rank,
                "semantic_rank": h.semantic_rank,
                "similarity": h.cosine,
            }
            for h in result.hits
        ],
    }


@router.get(
    "/knowledge/articles/{int:article_id}", response=ArticleDetailOut, summary="One article"
)
def article_get(request: AuthedRequest, article_id: int) -> Article:
    require_perm(request.user, "knowledge.view_article")
    return selectors.article_get_by_id(user=request.user, article_id=article_id)


class ArticleIn(In):
    title: str = Field(..., min_length=1, max_length=200)
    summary: str = ""
    body: str = Field("", description="Markdown (source_format md) or HTML; sanitised")
    source_format: SourceFormat = "md"
    category: str | None = Field(None, description="Path, e.g. 'Cards / Lost and stolen'")
    audience: Audience = "internal"
    tags: list[Tag] = Field([], max_length=TAGS_MAX)
    products: list[int] = []
    review_at: dt.date | None = None


class ArticlePatch(Patch):
    nullable = frozenset({"review_at", "category"})

    title: str | None = Field(None, min_length=1, max_length=200)
    summary: str | None = None
    body: str | None = None
    source_format: SourceFormat | None = None
    category: str | None = None
    audience: Audience | None = None
    tags: list[Tag] | None = Field(None, max_length=TAGS_MAX)
    products: list[int] | None = None
    review_at: dt.date | None = None
    note: str = Field("Edited", max_length=200)
    revision: bool = Field(
        False,
        description="For a published article: save the change as a revision for review (the "
        "live text stays until POST …/publish)",
    )


@router.post(
    "/knowledge/articles", response={201: ArticleDetailOut}, summary="Create a draft article"
)
def article_create(request: AuthedRequest, payload: ArticleIn) -> Status[Article]:
    data = payload.dict()
    article = services.article_create(
        actor=request.user,
        title=data["title"],
        summary=data["summary"],
        body_source=data["body"],
        source_format=data["source_format"],
        category=data["category"],
        audience=data["audience"],
        tags=data["tags"],
        products=data["products"],
        review_at=data["review_at"],
        note="Created through the API",
    )
    return Status(201, article)


@router.patch(
    "/knowledge/articles/{int:article_id}",
    response=ArticleDetailOut,
    summary="Change an article (a new version)",
)
def article_update(request: AuthedRequest, article_id: int, payload: ArticlePatch) -> Article:
    require_perm(request.user, "knowledge.change_article")
    article = selectors.article_get_by_id(user=request.user, article_id=article_id)
    data = sent_fields(payload)
    note = data.pop("note", "Edited")
    as_revision = data.pop("revision", False)
    if "body" in data:
        data["body_source"] = data.pop("body") or ""
    if as_revision:
        services.article_revise(actor=request.user, article=article, note=note, **data)
        article.refresh_from_db()
        return article
    return services.article_update(actor=request.user, article=article, note=note, **data)


@router.post(
    "/knowledge/articles/{int:article_id}/revision/discard",
    response=ArticleDetailOut,
    summary="Drop the revision waiting for review (it stays in the history)",
)
def article_revision_discard(request: AuthedRequest, article_id: int) -> Article:
    require_perm(request.user, "knowledge.change_article")
    article = selectors.article_get_by_id(user=request.user, article_id=article_id)
    return services.article_revision_discard(actor=request.user, article=article)


class PublishIn(In):
    at: dt.datetime | None = Field(None, description="Publish then (empty: now)")
    expires_at: dt.datetime | None = None


@router.post(
    "/knowledge/articles/{int:article_id}/publish",
    response=ArticleDetailOut,
    summary="Approve and publish (now or scheduled), or publish the waiting revision of a "
    "published article; needs knowledge.publish_article",
)
def article_publish(request: AuthedRequest, article_id: int, payload: PublishIn) -> Article:
    require_perm(request.user, "knowledge.view_article")
    article = selectors.article_get_by_id(user=request.user, article_id=article_id)
    extra: dict[str, Any] = {}
    if "expires_at" in payload.dict(exclude_unset=True):
        extra["expires_at"] = payload.expires_at
    return services.article_publish(actor=request.user, article=article, at=payload.at, **extra)


class RejectIn(In):
    reason: str = Field("", max_length=REJECT_REASON_MAX)


class ReviewedIn(In):
    next_review: dt.date | None = Field(None, description="Next review (empty: in a year)")


def _editable(request: AuthedRequest, article_id: int) -> Article:
    require_perm(request.user, "knowledge.change_article")
    return selectors.article_get_by_id(user=request.user, article_id=article_id)


@router.post(
    "/knowledge/articles/{int:article_id}/submit",
    response=ArticleDetailOut,
    summary="Send a draft for review",
)
def article_submit(request: AuthedRequest, article_id: int) -> Article:
    return services.article_submit(actor=request.user, article=_editable(request, article_id))


@router.post(
    "/knowledge/articles/{int:article_id}/reject",
    response=ArticleDetailOut,
    summary="Send an article in review back to its author as a draft; needs "
    "knowledge.publish_article",
)
def article_reject(request: AuthedRequest, article_id: int, payload: RejectIn) -> Article:
    article = _editable(request, article_id)
    return services.article_reject(actor=request.user, article=article, reason=payload.reason)


@router.post(
    "/knowledge/articles/{int:article_id}/archive",
    response=ArticleDetailOut,
    summary="Take an article out of use (kept with its versions); needs knowledge.publish_article",
)
def article_archive(request: AuthedRequest, article_id: int) -> Article:
    return services.article_archive(actor=request.user, article=_editable(request, article_id))


@router.post(
    "/knowledge/articles/{int:article_id}/reopen",
    response=ArticleDetailOut,
    summary="An archived or published article back to a draft; needs knowledge.publish_article",
)
def article_reopen(request: AuthedRequest, article_id: int) -> Article:
    return services.article_reopen(actor=request.user, article=_editable(request, article_id))


@router.post(
    "/knowledge/articles/{int:article_id}/reviewed",
    response=ArticleDetailOut,
    summary="Confirm the article is still right: last review now, the next one then",
)
def article_reviewed(request: AuthedRequest, article_id: int, payload: ReviewedIn) -> Article:
    article = _editable(request, article_id)
    return services.article_reviewed(
        actor=request.user, article=article, next_review=payload.next_review
    )


class VersionOut(Schema):
    number: int
    status: str = Field(..., description="The article's status then; 'revision': not live yet")
    title: str
    note: str
    author: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_author(v: ArticleVersion) -> str | None:
        return v.author.username if v.author_id and v.author else None


class VersionDetailOut(VersionOut):
    summary: str
    body_source: str
    source_format: str
    body_html: str


@router.get(
    "/knowledge/articles/{int:article_id}/versions",
    response=list[VersionOut],
    summary="Every saved version, newest first",
)
@paginate(Pages)
def article_versions(request: AuthedRequest, article_id: int) -> Any:
    article = _editable(request, article_id)
    return selectors.article_versions(user=request.user, article=article)


@router.get(
    "/knowledge/articles/{int:article_id}/versions/{int:number}",
    response=VersionDetailOut,
    summary="One version with its text",
)
def article_version(request: AuthedRequest, article_id: int, number: int) -> ArticleVersion:
    article = _editable(request, article_id)
    return selectors.article_version_get(user=request.user, article=article, number=number)


class DiffIn(In):
    old: int = Field(..., ge=1)
    new: int = Field(..., ge=1)


class DiffLineOut(Schema):
    kind: Literal["same", "add", "del", "meta"]
    text: str


class DiffOut(Schema):
    old: int
    new: int
    lines: list[DiffLineOut]


@router.get(
    "/knowledge/articles/{int:article_id}/diff",
    response=DiffOut,
    summary="What changed in title, summary and body between two versions (a unified diff)",
)
def article_diff(request: AuthedRequest, article_id: int, params: Query[DiffIn]) -> Any:
    article = _editable(request, article_id)
    diff = selectors.version_diff(
        user=request.user, article=article, old=params.old, new=params.new
    )
    return {
        "old": diff.old.number,
        "new": diff.new.number,
        "lines": [{"kind": kind, "text": text} for kind, text in diff.lines],
    }


@router.post(
    "/knowledge/articles/{int:article_id}/versions/{int:number}/restore",
    response=ArticleDetailOut,
    summary="Copy an old version back as the newest; on a published article it becomes the "
    "revision waiting for review",
)
def article_restore(request: AuthedRequest, article_id: int, number: int) -> Article:
    article = _editable(request, article_id)
    return services.article_restore(actor=request.user, article=article, number=number)


class ResolutionIn(In):
    text: str = Field(..., min_length=1, max_length=5000)
    source: Literal["interaction", "case"]
    source_id: str = Field(..., min_length=1, max_length=64)
    customer_id: int | None = None


class ResolutionOut(Schema):
    id: int
    article_id: int
    source: str
    source_id: str
    created_at: dt.datetime


@router.post(
    "/knowledge/articles/{int:article_id}/resolutions",
    response={201: ResolutionOut},
    summary="Record that this article answered a customer message (idempotent per source record)",
)
def article_resolution(
    request: AuthedRequest, article_id: int, payload: ResolutionIn
) -> Status[Any]:
    article = selectors.article_get_by_id(user=request.user, article_id=article_id)
    customer = (
        customer_get(user=request.user, customer_id=payload.customer_id)
        if payload.customer_id
        else None
    )
    evidence = services.article_link_resolution(
        actor=request.user,
        article=article,
        text=payload.text,
        source=payload.source,
        source_id=payload.source_id,
        customer=customer,
    )
    return Status(201, evidence)


class SuggestIn(In):
    text: str = Field(..., min_length=1, max_length=5000)
    limit: int = Field(3, ge=1, le=10)
    audience: Literal["", "internal", "public"] = ""


class SuggestionOut(Schema):
    article: ArticleOut
    confidence: float
    reason: str


class SuggestOut(Schema):
    suggestions: list[SuggestionOut]
    abstained: bool
    model_version: str


@router.post(
    "/knowledge/suggest",
    response=SuggestOut,
    summary="Articles that answer a customer message (or an abstention when none fits)",
)
def article_suggest(request: AuthedRequest, payload: SuggestIn) -> Any:
    require_perm(request.user, "knowledge.view_article")
    result = selectors.article_suggest(
        text=payload.text,
        user=request.user,
        limit=payload.limit,
        audience=payload.audience or None,
    )
    return result
