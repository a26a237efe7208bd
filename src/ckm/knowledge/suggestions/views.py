"""Pages of the suggestion panel: the panel for a message (htmx) and "used this". Thin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from ckm.core.errors import DomainError, NotFound
from ckm.core.http import AuthedRequest, int_param, redirect_back
from ckm.knowledge import selectors, services
from ckm.knowledge.suggestions.panel import PANEL_TEMPLATE, message_suggestions

SOURCES = ("interaction", "case")
MAX_TEXT = 2000


def _interaction(request: AuthedRequest, source_id: str) -> Any:
    """An interaction the user may see, or 404."""
    from ckm.interactions.selectors import InteractionFilters, interaction_list

    interaction_id = int_param(source_id)
    if interaction_id is None:
        raise Http404("No such interaction.")
    found = interaction_list(user=request.user, filters=InteractionFilters()).filter(
        pk=interaction_id
    )
    interaction = found.first()
    if interaction is None:
        raise Http404("No such interaction.")
    return interaction


def _message(request: AuthedRequest, source: str, source_id: str, text: str) -> tuple[str, object]:
    """The customer's message and customer: an interaction's own text (never the client's copy);
    for a case or a free message, the text the page sent."""
    if source == "interaction" and source_id:
        interaction = _interaction(request, source_id)
        body = interaction.text
        full = f"{interaction.subject}. {body}" if interaction.subject else body
        return full, interaction.customer
    return text[:MAX_TEXT], None


@require_GET
@permission_required("knowledge.view_article", raise_exception=True)
def panel(request: AuthedRequest) -> HttpResponse:
    """The panel for one message: ?source=interaction&source_id=ID, or ?text=... (htmx)."""
    source = request.GET.get("source", "")
    source = source if source in SOURCES else ""
    source_id = request.GET.get("source_id", "").strip()[:64]
    text, customer = _message(request, source, source_id, request.GET.get("text", ""))
    context = message_suggestions(
        user=request.user, text=text, source=source, source_id=source_id, customer=customer
    )
    if context is not None and source == "interaction":
        interaction = _interaction(request, source_id)
        context["message_at"] = interaction.occurred_at
        context["message_channel"] = interaction.get_channel_display()
    return render(request, PANEL_TEMPLATE, {"panel": context})


@require_POST
@permission_required("knowledge.view_article", raise_exception=True)
def use(request: AuthedRequest) -> HttpResponse:
    """ "Used this": the article answered this message; recorded as evidence and in the audit log."""
    source = request.POST.get("source", "")
    source_id = request.POST.get("source_id", "").strip()[:64]
    if source not in SOURCES or not source_id:
        return HttpResponse("Which message did it answer?", status=400)
    try:
        article = selectors.article_get_by_id(
            user=request.user, article_id=int(request.POST.get("article", "0") or 0)
        )
    except (NotFound, ValueError) as exc:
        raise Http404("No such article.") from exc
    text, customer = _message(request, source, source_id, request.POST.get("text", ""))
    error = ""
    try:
        services.article_link_resolution(
            actor=request.user,
            article=article,
            text=text,
            source=source,
            source_id=source_id,
            customer=customer,
        )
    except DomainError as exc:
        error = str(exc)
    except (PermissionDenied, NotFound) as exc:
        raise PermissionDenied(str(exc)) from exc
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"Recorded: “{article.title}” answered this message.")
        return redirect_back(request, request.POST.get("next"), article.get_absolute_url())
    context = message_suggestions(
        user=request.user, text=text, source=source, source_id=source_id, customer=customer
    )
    if context is not None:
        context["linked_article_id"] = None if error else article.pk
        context["linked_article"] = None if error else article
        context["error"] = error
    status = 400 if error else 200
    return render(request, PANEL_TEMPLATE, {"panel": context}, status=status)
