"""The knowledge pages: search for agents, the article page with breadcrumbs and "did this help?",
the editor's pages (write with live preview, upload a Word document, versions, diff, restore,
workflow) and the editors' overview with knowledge gaps. Thin: forms validate, services write."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from ckm.core.charts import bar_chart, line_chart
from ckm.core.errors import DomainError, error_text
from ckm.core.http import AuthedRequest, int_param
from ckm.customers.models import Product
from ckm.knowledge import content, selectors, services
from ckm.knowledge.forms import ArticleForm, FeedbackForm, PublishForm, UploadForm
from ckm.knowledge.models import Article, ArticleTemplate, Category, SearchQuery
from ckm.knowledge.services.articles import render_body

# --- search and reading -----------------------------------------------------------------------


@permission_required("knowledge.view_article", raise_exception=True)
def search(request: AuthedRequest) -> HttpResponse:
    """The agents' search: as you type, with filters and the category tree."""
    q = request.GET.get("q", "").strip()
    audience = request.GET.get("audience", "")
    audience = audience if audience in Article.Audience.values else ""
    category_id, product_id = (
        int_param(request.GET.get("category")),
        int_param(request.GET.get("product")),
    )
    result = None
    search_id = None
    if q:
        result = selectors.article_search(
            user=request.user,
            query=q,
            audience=audience or None,
            category_id=category_id,
            product_id=product_id,
        )
        logged = services.search_query_record(
            user=request.user,
            query=q,
            where=SearchQuery.Where.AGENT,
            results=len(result.hits),
            top_score=result.top_score,
        )
        search_id = logged.pk if logged else None
    context: dict[str, Any] = {
        "q": q,
        "result": result,
        "search_id": search_id,
        "audience": audience,
        "category_id": category_id,
        "product_id": product_id,
        "audiences": Article.Audience.choices,
    }
    if request.htmx:
        return render(request, "knowledge/_results.html", context)
    latest = (
        selectors.article_queryset(user=request.user)
        .filter(selectors.live_q())
        .select_related("category")
        .order_by("-published_at")[:8]
    )
    context.update(
        {
            "tree": selectors.category_tree(user=request.user),
            "products": Product.objects.filter(is_active=True).only("id", "name"),
            "latest": latest,
            "suggestion_model": selectors.suggestion_model_active(),
        }
    )
    return render(request, "knowledge/search.html", context)


@permission_required("knowledge.view_article", raise_exception=True)
def article_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    """The article at its stable URL, with breadcrumbs, votes and (for editors) the workflow."""
    article = selectors.article_get(user=request.user, slug=slug)
    live = selectors.is_live(article)
    if live:
        services.article_view_record(article=article)
        search_id = int_param(request.GET.get("s"))
        if search_id:
            services.search_click_record(search_id=search_id, article=article, user=request.user)
    vote = None
    if request.user.is_authenticated:
        vote = article.feedback.filter(user=request.user).first()
    return render(
        request,
        "knowledge/article.html",
        {
            "article": article,
            "live": live,
            "crumbs": article.category.ancestors() if article.category else [],
            "products": article.products.all(),
            "vote": vote,
            "versions": selectors.article_versions(user=request.user, article=article)[:8],
            "publish_form": PublishForm(),
            "can_edit": selectors.can_edit(request.user),
            "revision": selectors.article_revision(article),
        },
    )


@require_POST
@permission_required("knowledge.give_feedback", raise_exception=True)
def article_feedback(request: AuthedRequest, slug: str) -> HttpResponse:
    """An htmx "did this help?" vote; answers with the updated box."""
    article = selectors.article_get(user=request.user, slug=slug)
    form = FeedbackForm(request.POST)
    error = ""
    vote = None
    if form.is_valid():
        vote = services.article_feedback_record(
            actor=request.user,
            article=article,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data["comment"],
        )
        article.refresh_from_db()
    else:
        error = "Choose yes or no."
    if not request.htmx:
        return redirect(article.get_absolute_url())
    return render(
        request, "knowledge/_feedback.html", {"article": article, "vote": vote, "error": error}
    )


# --- writing ----------------------------------------------------------------------------------


def _refused(request: AuthedRequest, form: Any, exc: Exception) -> None:
    """A refused save: a field's problem next to the field (the form keeps what was typed),
    anything else as the page's message."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, problems in exc.message_dict.items():
            if name in form.fields:
                form.add_error(name, problems)
            else:
                messages.error(request, error_text(ValidationError({name: problems})))
    elif isinstance(exc, DomainError) and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        messages.error(request, error_text(exc))


def _editor_context(form: Any, article: Article | None = None) -> dict[str, Any]:
    return {
        "form": form,
        "article": article,
        "category_paths": Category.objects.values_list("path", flat=True),
        "templates": ArticleTemplate.objects.all(),
    }


@permission_required("knowledge.add_article", raise_exception=True)
def article_new(request: AuthedRequest) -> HttpResponse:
    """Write a new article in Markdown (from a template, with live preview)."""
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                article = services.article_create(
                    actor=request.user,
                    template=form.cleaned_data["template"],
                    note=form.cleaned_data["note"] or "Created",
                    **form.service_fields(),
                )
            except (DomainError, ValidationError, PermissionDenied) as exc:
                _refused(request, form, exc)
            else:
                messages.success(request, "Draft saved as version 1.")
                return redirect(article.get_absolute_url())
    else:
        template_id = int_param(request.GET.get("template"))
        template = ArticleTemplate.objects.filter(pk=template_id).first() if template_id else None
        form = ArticleForm(
            initial={
                "audience": Article.Audience.INTERNAL,
                "source_format": Article.SourceFormat.MARKDOWN,
                "template": template,
                "title": request.GET.get("title", "")[:200],
                "body_source": content.template_markdown(template.sections) if template else "",
            }
        )
    return render(request, "knowledge/edit.html", _editor_context(form))


@permission_required("knowledge.change_article", raise_exception=True)
def article_edit(request: AuthedRequest, slug: str) -> HttpResponse:
    """Change an article; saving makes a new version."""
    article = selectors.article_get(user=request.user, slug=slug)
    published = article.status == Article.Status.PUBLISHED
    revision = selectors.article_revision(article) if published else None
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            note = form.cleaned_data["note"]
            try:
                if published and "publish_now" not in request.POST:
                    # the published text stays live until an editor publishes the revision
                    version = services.article_revise(
                        actor=request.user,
                        article=article,
                        note=note or "Revision",
                        **form.service_fields(),
                    )
                    messages.success(
                        request,
                        f"Saved as revision {version.number}; the published version stays live "
                        "until an editor publishes it.",
                    )
                else:
                    article = services.article_update(
                        actor=request.user,
                        article=article,
                        note=note or "Edited",
                        **form.service_fields(),
                    )
                    messages.success(request, f"Saved as version {article.version_number}.")
            except (DomainError, ValidationError, PermissionDenied) as exc:
                _refused(request, form, exc)
            else:
                return redirect(article.get_absolute_url())
    else:
        form = ArticleForm(initial=_form_values(article, revision))
    context = {**_editor_context(form, article), "revision": revision}
    return render(request, "knowledge/edit.html", context)


def _form_values(article: Article, revision: Any = None) -> dict[str, Any]:
    """The edit form's starting values: the article, or the revision waiting for review."""
    values: dict[str, Any] = {
        "title": article.title,
        "summary": article.summary,
        "category": article.category.path if article.category else "",
        "audience": article.audience,
        "products": list(article.products.all()),
        "tags": ", ".join(article.tags),
        "review_at": article.review_at,
        "source_format": article.source_format,
        "body_source": article.body_source,
    }
    if revision is not None:
        changes = dict(revision.changes)
        if "tags" in changes and isinstance(changes["tags"], list):
            changes["tags"] = ", ".join(changes["tags"])
        if "products" in changes:
            changes["products"] = list(Product.objects.filter(pk__in=changes["products"]))
        values.update(changes)
        values.update(
            title=revision.title,
            summary=revision.summary,
            source_format=revision.source_format,
            body_source=revision.body_source,
        )
    return values


@require_POST
@permission_required("knowledge.add_article", raise_exception=True)
def article_preview(request: AuthedRequest) -> HttpResponse:
    """Live preview (htmx): the body as it will be published, sanitised."""
    source = request.POST.get("body_source", "")[:200_000]
    source_format = request.POST.get("source_format", Article.SourceFormat.MARKDOWN)
    html = render_body(source, source_format)
    return render(request, "knowledge/_preview.html", {"html": html})


@permission_required("knowledge.add_article", raise_exception=True)
def article_upload(request: AuthedRequest) -> HttpResponse:
    """Upload a Word document: converted to the house layout as a new draft (or a new version)."""
    target = None
    if request.GET.get("article") or request.POST.get("article"):
        target = selectors.article_get(
            user=request.user, slug=request.GET.get("article") or request.POST.get("article", "")
        )
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            extra: dict[str, Any] = {}
            if target is None:
                extra = {"category": data["category"] or None, "audience": data["audience"]}
            try:
                article, warnings = services.article_docx_upload(
                    actor=request.user,
                    fileobj=data["file"],
                    filename=data["file"].name,
                    article=target,
                    title=data["title"],
                    **extra,
                )
            except (DomainError, ValidationError, PermissionDenied) as exc:
                form.add_error("file", error_text(exc))
            else:
                messages.success(
                    request,
                    f"Converted {data['file'].name} to the house layout (version "
                    f"{article.version_number}).",
                )
                for warning in warnings[:3]:
                    messages.warning(request, f"Word conversion: {warning}")
                return redirect(article.get_absolute_url())
    else:
        form = UploadForm(initial={"audience": Article.Audience.INTERNAL})
    context = _editor_context(form, target)
    return render(request, "knowledge/upload.html", context)


WORKFLOW = {
    "discard": services.article_revision_discard,
    "submit": services.article_submit,
    "archive": services.article_archive,
    "reopen": services.article_reopen,
    "reviewed": services.article_reviewed,
}


@require_POST
@permission_required("knowledge.change_article", raise_exception=True)
def article_workflow(request: AuthedRequest, slug: str, action: str) -> HttpResponse:
    """A workflow step: submit, publish (now or scheduled), reject, archive, reopen, reviewed."""
    article = selectors.article_get(user=request.user, slug=slug)
    try:
        if action == "publish":
            form = PublishForm(request.POST)
            if not form.is_valid():
                raise DomainError("Check the publishing date and time.")
            article = services.article_publish(
                actor=request.user,
                article=article,
                at=form.cleaned_data["at"],
                expires_at=form.cleaned_data["expires_at"],
            )
            if article.status == Article.Status.PUBLISHED:
                messages.success(request, "Published.")
            else:
                messages.success(
                    request, f"Approved; publishes at {article.publish_at:%Y-%m-%d %H:%M}."
                )
        elif action == "reject":
            article = services.article_reject(
                actor=request.user, article=article, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Sent back to the author as a draft.")
        elif action in WORKFLOW:
            article = WORKFLOW[action](actor=request.user, article=article)
            messages.success(request, f"{article.title}: {article.get_status_display().lower()}.")
        else:
            raise DomainError("Unknown step.")
    except (DomainError, ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect(article.get_absolute_url())


@permission_required("knowledge.change_article", raise_exception=True)
def article_versions(request: AuthedRequest, slug: str) -> HttpResponse:
    """Every version; the diff between two; restore one."""
    article = selectors.article_get(user=request.user, slug=slug)
    versions = list(selectors.article_versions(user=request.user, article=article))
    diff = None
    newest = versions[0].number if versions else 1
    old, new = int_param(request.GET.get("old")), int_param(request.GET.get("new"))
    if old and new:
        diff = selectors.version_diff(user=request.user, article=article, old=old, new=new)
    elif len(versions) > 1:
        # by default: what the last change of the text was (status changes keep the text)
        def text(v: Any) -> tuple[str, str, str]:
            return (v.title, v.summary, v.body_source)

        changed = next((v for v in versions[1:] if text(v) != text(versions[0])), versions[1])
        diff = selectors.version_diff(
            user=request.user, article=article, old=changed.number, new=newest
        )
    return render(
        request,
        "knowledge/versions.html",
        {"article": article, "versions": versions, "diff": diff},
    )


@require_POST
@permission_required("knowledge.change_article", raise_exception=True)
def article_restore(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    """Restore an old version: the newest version of a draft, the revision of a published one."""
    article = selectors.article_get(user=request.user, slug=slug)
    to = reverse("knowledge:versions", kwargs={"slug": article.slug})
    try:
        article = services.article_restore(actor=request.user, article=article, number=number)
    except (DomainError, ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        if article.status == Article.Status.PUBLISHED:
            messages.success(
                request,
                f"Version {number} restored as revision {article.revision_number} for review; "
                f"the published version {article.version_number} stays live until an editor "
                "publishes it.",
            )
            to = article.get_absolute_url()
        else:
            messages.success(
                request, f"Version {number} restored as version {article.version_number}."
            )
    # the page asks before restoring (htmx): it opens the next page itself
    return HttpResponseClientRedirect(to) if request.htmx else redirect(to)


# --- the editors' overview --------------------------------------------------------------------


@permission_required("knowledge.change_article", raise_exception=True)
def overview(request: AuthedRequest) -> HttpResponse:
    """Every article with status, owner, review, use and votes; the knowledge gaps; a chart."""
    filters = selectors.ArticleFilters(
        status=request.GET.get("status", ""),
        audience=request.GET.get("audience", ""),
        q=request.GET.get("q", "").strip(),
    )
    sort = selectors.OVERVIEW_SORTS.choose(request.GET.get("sort"))
    rows = selectors.editors_overview_rows(user=request.user, filters=filters, sort=sort)
    page: Any = Paginator(rows, 50).get_page(request.GET.get("page"))
    page.object_list = [selectors.overview_row(a) for a in page.object_list]
    gaps = selectors.knowledge_gaps(user=request.user)
    stats = selectors.search_stats(user=request.user)
    chart = None
    if stats:
        frame = pd.DataFrame(stats)
        frame["week"] = pd.to_datetime(frame["week"])
        frame = frame.melt(
            id_vars=["week"],
            value_vars=["searches", "unanswered", "clicked"],
            var_name="what",
            value_name="count",
        )
        chart = line_chart(
            frame,
            x="week",
            y="count",
            color="what",
            title="Searches per week (whole weeks)",
            height=180,
            weekly=True,
        )
    by_category = selectors.views_by_category(user=request.user)
    category_chart = None
    if by_category and any(row["views"] for row in by_category):
        category_chart = bar_chart(
            pd.DataFrame(by_category),
            x="category",
            y="views",
            title="Article views by category",
            horizontal=True,
            height=max(120, 22 * len(by_category)),
            width=380,
        )
    counts = selectors.status_counts(user=request.user, filters=filters)
    return render(
        request,
        "knowledge/overview.html",
        {
            "page": page,
            "sort": sort,
            "filters": filters,
            "gaps": gaps,
            "chart": chart,
            "category_chart": category_chart,
            "usage": selectors.usage_summary(user=request.user),
            "counts": counts,
            "statuses": Article.Status.choices,
            "templates": ArticleTemplate.objects.all(),
            "suggestion_model": selectors.suggestion_model_active(),
            "gap_hint": format_html(
                "A search counts as unanswered when nothing matched or the best match was weak "
                "(similarity below {}).",
                f"{selectors.engine.GOOD_ANSWER:.2f}",
            ),
        },
    )


# --- usage over time --------------------------------------------------------------------------

RATE_LINES = {
    "zero_result_share": "zero-result searches",
    "click_through": "click-through",
    "helpfulness": "helpful votes",
    "deflection": "deflection",
}


@permission_required("knowledge.change_article", raise_exception=True)
def usage(request: AuthedRequest) -> HttpResponse:
    """Weekly views, searches, zero results, click-through, helpfulness and deflection, overall
    or for one category or article; the most used articles of the period."""
    weeks = max(4, min(int_param(request.GET.get("weeks")) or 12, 52))
    category_id = int_param(request.GET.get("category"))
    article_id = int_param(request.GET.get("article"))
    article = None
    if article_id:
        article = selectors.article_get_by_id(user=request.user, article_id=article_id)
        category_id = None
    rows = selectors.usage_weekly(
        user=request.user, weeks=weeks, category_id=category_id, article_id=article_id
    )
    scoped = bool(category_id or article_id)
    counts_chart = rates_chart = None
    if rows and any(r.views or r.searches for r in rows):
        frame = pd.DataFrame(
            [{"week": r.week.isoformat(), "views": r.views, "searches": r.searches} for r in rows]
        ).melt(id_vars=["week"], var_name="what", value_name="count")
        counts_chart = line_chart(
            frame,
            x="week",
            y="count",
            color="what",
            title="Views and searches per week",
            weekly=True,
        )
        rates = []
        for r in rows:
            for key, label in RATE_LINES.items():
                if scoped and key == "zero_result_share":
                    continue
                value = getattr(r, key)
                if value is not None:
                    rates.append(
                        {"week": r.week.isoformat(), "what": label, "share": round(value, 4)}
                    )
        if len({r["week"] for r in rates}) >= 2:  # one point makes no line (the table has it)
            rates_chart = line_chart(
                pd.DataFrame(rates),
                x="week",
                y="share",
                color="what",
                title="Shares per week (0 to 1)",
                weekly=True,
            )
    return render(
        request,
        "knowledge/usage.html",
        {
            "rows": rows,
            "weeks": weeks,
            "scoped": scoped,
            "category_id": category_id,
            "article": article,
            "categories": Category.objects.order_by("path"),
            "counts_chart": counts_chart,
            "rates_chart": rates_chart,
            "top": selectors.usage_by_article(
                user=request.user, weeks=weeks, category_id=category_id
            ),
        },
    )
