"""The customers' self-service portal: public articles only, search, categories, "did this help?"
and a contact form that first shows the articles that might answer the question (deflection),
then opens a case through the service app.

Access: the site login with the permission knowledge.use_portal (every role holds it, so staff
see exactly what customers see; a customer account is a user whose role grants only that).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ckm.core.errors import DomainError
from ckm.core.http import AuthedRequest
from ckm.knowledge import selectors, services
from ckm.knowledge.models import Article, SearchQuery
from ckm.portal.forms import ContactForm

PUBLIC = Article.Audience.PUBLIC
PERM = "knowledge.use_portal"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@permission_required(PERM, raise_exception=True)
def home(request: AuthedRequest) -> HttpResponse:
    """Search and category navigation over the public articles."""
    q = request.GET.get("q", "").strip()
    category_id = _int(request.GET.get("category"))
    result = None
    search_id = None
    if q:
        result = selectors.article_search(
            user=request.user, query=q, audience=PUBLIC, category_id=category_id, limit=10
        )
        logged = services.search_query_record(
            user=request.user,
            query=q,
            where=SearchQuery.Where.PORTAL,
            results=len(result.hits),
            top_score=result.top_score,
        )
        search_id = logged.pk if logged else None
    context: dict[str, Any] = {
        "q": q,
        "result": result,
        "search_id": search_id,
        "category_id": category_id,
    }
    if request.htmx:
        return render(request, "portal/_results.html", context)
    articles = selectors.article_list(
        user=request.user,
        filters=selectors.ArticleFilters(audience=PUBLIC, category_id=category_id),
    ).filter(audience=PUBLIC)
    context.update(
        {
            "tree": selectors.category_tree(user=request.user, audience=PUBLIC),
            "articles": articles.filter(selectors.live_q()).order_by("-views", "title")[:12],
        }
    )
    return render(request, "portal/home.html", context)


@permission_required(PERM, raise_exception=True)
def article(request: AuthedRequest, slug: str) -> HttpResponse:
    """A public article."""
    found = selectors.article_get(user=request.user, slug=slug, audience=PUBLIC)
    if not selectors.is_live(found):
        from ckm.core.errors import NotFound

        raise NotFound("No such article.")
    services.article_view_record(article=found)
    search_id = _int(request.GET.get("s"))
    if search_id:
        services.search_click_record(search_id=search_id, article=found, user=request.user)
    return render(
        request,
        "portal/article.html",
        {
            "article": found,
            "crumbs": found.category.ancestors() if found.category else [],
            "voted": None,
        },
    )


@permission_required(PERM, raise_exception=True)
def article_vote(request: AuthedRequest, slug: str) -> HttpResponse:
    """ "Did this help?" from a customer (htmx)."""
    found = selectors.article_get(user=request.user, slug=slug, audience=PUBLIC)
    if request.method == "POST" and request.POST.get("helpful") in ("yes", "no"):
        services.article_feedback_record(
            actor=request.user,
            article=found,
            helpful=request.POST["helpful"] == "yes",
            where=SearchQuery.Where.PORTAL,
        )
        voted = request.POST["helpful"]
    else:
        voted = None
    if not request.htmx:
        return redirect("portal:article", slug=found.slug)
    return render(request, "portal/_vote.html", {"article": found, "voted": voted})


def _case_intake() -> Any:
    """The service app's case intake, when it is installed."""
    try:
        from ckm.service.services import case_intake  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    return case_intake


@permission_required(PERM, raise_exception=True)
def contact(request: AuthedRequest) -> HttpResponse:
    """Ask us: first the articles that might answer, then (if still needed) a case."""
    intake = _case_intake()
    suggestions = None
    sent = None
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            text = f"{data['subject']}\n{data['message']}"
            found = selectors.article_search(
                user=request.user, query=text[:300], audience=PUBLIC, limit=3
            )
            if not data["confirmed"] and found.good_answer:
                suggestions = found.hits
                form = ContactForm(initial={**data, "confirmed": True})
            elif intake is None:
                form.add_error(
                    None,
                    "Messages cannot be sent from here yet. Please call us or write to us; "
                    "nothing was stored.",
                )
            else:
                services.search_query_record(
                    user=request.user,
                    query=text[:300],
                    where=SearchQuery.Where.MESSAGE,
                    results=len(found.hits),
                    top_score=found.top_score,
                )
                try:
                    sent = intake(
                        channel="portal",
                        subject=data["subject"],
                        body=data["message"],
                        sender_email=data["email"] or request.user.email,
                        sender_name=data["name"] or request.user.get_full_name(),
                        # the customer writes; no member of staff acts (the portal checked the
                        # login and knowledge.use_portal)
                        actor=None,
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                    sent = None
                except ValidationError as exc:
                    form.add_error(None, " ".join(exc.messages))
                    sent = None
    else:
        form = ContactForm(
            initial={"email": request.user.email, "name": request.user.get_full_name()}
        )
    return render(
        request,
        "portal/contact.html",
        {"form": form, "suggestions": suggestions, "sent": sent, "available": intake is not None},
    )
