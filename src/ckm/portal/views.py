"""The customers' self-service portal: public articles only, search, categories, "did this help?"
and a contact form that first shows the articles that might answer the question (deflection),
then opens a case through the service app.

Access: no login. These views, and only these, are exempt from the site's login requirement
(``login_not_required``); they read through the knowledge app's portal selectors, which return
live public articles only, whoever asks. A logged-in member of staff sees exactly the same.
Anonymous visitors write only the search log, view events, votes (one per session and article)
and contact cases; every POST is CSRF-protected by the site's middleware.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ckm.core.errors import DomainError
from ckm.core.http import int_param
from ckm.knowledge import selectors, services
from ckm.knowledge.models import SearchQuery
from ckm.portal.forms import ContactForm

PORTAL = SearchQuery.Where.PORTAL


def _session(request: HttpRequest) -> str:
    """A hash of the visitor's session key (the key itself is never stored in our tables); the
    session is created on the first portal request that needs it."""
    if not request.session.session_key:
        request.session["portal"] = True
        request.session.save()
    key = request.session.session_key or ""
    return hashlib.sha256(f"portal:{key}".encode()).hexdigest()


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


@login_not_required
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """Search and category navigation over the public articles."""
    q = request.GET.get("q", "").strip()
    category_id = int_param(request.GET.get("category"))
    result = None
    search_id = None
    if q:
        result = selectors.portal_search(query=q, category_id=category_id, limit=10)
        logged = services.search_query_record(
            user=request.user,
            query=q,
            where=PORTAL,
            results=len(result.hits),
            top_score=result.top_score,
            session=_session(request),
        )
        search_id = logged.pk if logged else None
    context: dict[str, Any] = {
        "q": q,
        "result": result,
        "search_id": search_id,
        "category_id": category_id,
    }
    if getattr(request, "htmx", False):
        return render(request, "portal/_results.html", context)
    articles = selectors.portal_article_list(category_id=category_id)
    context.update(
        {
            "tree": selectors.portal_category_tree(),
            "articles": articles.order_by("-views", "title")[:12],
        }
    )
    return render(request, "portal/home.html", context)


@login_not_required
@require_http_methods(["GET", "HEAD"])
def article(request: HttpRequest, slug: str) -> HttpResponse:
    """A public article (404 for anything else: internal, draft, expired)."""
    found = selectors.portal_article_get(slug=slug)
    session = _session(request)
    services.article_view_record(article=found, where=PORTAL, session=session)
    search_id = int_param(request.GET.get("s"))
    if search_id:
        services.search_click_record(
            search_id=search_id, article=found, user=request.user, session=session
        )
    return render(
        request,
        "portal/article.html",
        {
            "article": found,
            "crumbs": found.category.ancestors() if found.category else [],
            "voted": None,
        },
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def article_vote(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Did this help?" (htmx): one vote per visitor session (or per logged-in user) and article;
    voting again replaces the earlier vote."""
    found = selectors.portal_article_get(slug=slug)
    voted = None
    if request.method == "POST" and request.POST.get("helpful") in ("yes", "no"):
        services.article_feedback_record(
            actor=request.user,
            article=found,
            helpful=request.POST["helpful"] == "yes",
            where=PORTAL,
            session=_session(request),
        )
        voted = request.POST["helpful"]
    if not getattr(request, "htmx", False):
        return redirect("portal:article", slug=found.slug)
    return render(request, "portal/_vote.html", {"article": found, "voted": voted})


def _case_intake() -> Any:
    """The service app's case intake, when it is installed."""
    try:
        from ckm.service.services import case_intake  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    return case_intake


def _throttled(request: HttpRequest, session: str) -> bool:
    """At most CKM_PORTAL_CONTACT_LIMIT messages per hour per session and per client address."""
    limit = int(getattr(settings, "CKM_PORTAL_CONTACT_LIMIT", 5))
    keys = [f"portal-contact:s:{session}", f"portal-contact:ip:{_client_ip(request)}"]
    return any((cache.get(key) or 0) >= limit for key in keys)


def _count_contact(request: HttpRequest, session: str) -> None:
    for key in (f"portal-contact:s:{session}", f"portal-contact:ip:{_client_ip(request)}"):
        if not cache.add(key, 1, timeout=3600):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=3600)


@login_not_required
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    """Ask us: first the articles that might answer, then (if still needed) a case."""
    intake = _case_intake()
    user = request.user
    anonymous = not user.is_authenticated
    suggestions = None
    sent = None
    if request.method == "POST":
        session = _session(request)
        form = ContactForm(request.POST, email_required=anonymous)
        if form.is_valid():
            data = form.cleaned_data
            text = f"{data['subject']}\n{data['message']}"
            found = selectors.portal_search(query=text[:300], limit=3)
            if not data["confirmed"] and found.good_answer:
                suggestions = found.hits
                form = ContactForm(initial={**data, "confirmed": True}, email_required=anonymous)
            elif intake is None:
                form.add_error(
                    None,
                    "Messages cannot be sent from here yet. Please call us or write to us; "
                    "nothing was stored.",
                )
            elif _throttled(request, session):
                form.add_error(
                    None,
                    "You have sent us several messages in the last hour. Please wait a while "
                    "before sending another; we will answer the ones we have.",
                )
            else:
                sent = _send(request, intake, data, text, found, session, form)
    else:
        form = ContactForm(
            initial={"email": getattr(user, "email", ""), "name": _full_name(user)},
            email_required=anonymous,
        )
    return render(
        request,
        "portal/contact.html",
        {"form": form, "suggestions": suggestions, "sent": sent, "available": intake is not None},
    )


def _full_name(user: Any) -> str:
    return str(user.get_full_name()) if getattr(user, "is_authenticated", False) else ""


def _send(
    request: HttpRequest,
    intake: Any,
    data: dict[str, Any],
    text: str,
    found: selectors.SearchResult,
    session: str,
    form: ContactForm,
) -> Any:
    """Open the case (the service app matches the sender's e-mail to a customer or keeps the
    unknown contact), put the message on a matched customer's history, record the contact."""
    user = request.user
    email = data["email"] or getattr(user, "email", "")
    try:
        case = intake(
            channel="portal",
            kind=data["kind"],
            subject=data["subject"],
            body=data["message"],
            sender_email=email,
            sender_name=data["name"] or _full_name(user),
            # the customer writes; no member of staff acts
            actor=None,
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None
    except ValidationError as exc:
        form.add_error(None, " ".join(exc.messages))
        return None
    _count_contact(request, session)
    services.search_query_record(
        user=user,
        query=text[:300],
        where=SearchQuery.Where.MESSAGE,
        results=len(found.hits),
        top_score=found.top_score,
        session=session,
    )
    services.portal_contact_record(
        session=session,
        subject=data["subject"],
        text=data["message"],
        customer_id=getattr(case, "customer_id", None),
        reference=f"case-{case.pk}",
    )
    return case
