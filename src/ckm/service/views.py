"""The service pages: the case list with queues and SLA timers, a case with its workflow,
classification, messages and article suggestions, logging a case from the customer profile, and
the classifier registry. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from ckm.core.errors import DomainError, NotFound, error_text, errors_text
from ckm.core.http import AuthedRequest, int_param
from ckm.core.models import User
from ckm.customers.models import Product
from ckm.customers.selectors import (
    SEARCH_MIN_CHARS,
    contact_points_of,
    customer_get,
    customer_search,
)
from ckm.knowledge import selectors as knowledge_selectors
from ckm.knowledge import services as knowledge_services
from ckm.service import selectors, services
from ckm.service.forms import (
    REPLY_BODY_MAX,
    SATISFACTION_COMMENT_MAX,
    CaseFilterForm,
    CaseLogForm,
    CorrectForm,
    ReplyForm,
    SatisfactionForm,
    TransitionForm,
)
from ckm.service.models import Case, CaseStatus
from ckm.service.services.replies import reply_insert
from ckm.service.services.timers import timers
from ckm.service.services.workflow import ACTION_LABELS, allowed_transitions


def _error(request: AuthedRequest, exc: Exception) -> None:
    messages.error(request, error_text(exc))


@permission_required("service.view_case", raise_exception=True)
def case_list(request: AuthedRequest) -> HttpResponse:
    # open cases unless a status was chosen ("Any status" sends an empty one): a link that
    # only names a page or a filter (Next, ?page=2) stays on the open cases
    params = request.GET.copy()
    params.setdefault("status", "open")
    # open cases are worked by urgency: the next SLA target first, overdue ones on top; any
    # other list (closed, any status) reads as a history, newest first
    params.setdefault("order", "due" if params.get("status") == "open" else "newest")
    form = CaseFilterForm(params)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {"status": "open"}
    filters = selectors.CaseFilters(
        q=data.get("q") or "",
        status=data.get("status") or "",
        kind=data.get("kind") or "",
        channel=data.get("channel") or "",
        queue_id=data.get("queue"),
        mine=bool(data.get("mine")),
        breached=bool(data.get("breached")),
        unknown_contact=bool(data.get("unknown")),
        unassigned=bool(data.get("unassigned")),
        order=data.get("order") or "",
    )
    cases = selectors.case_list(user=request.user, filters=filters)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    rows = [(case, timers(case)) for case in page.object_list]
    linkable = selectors.customers_linkable(
        user=request.user, ids=(case.customer_id for case in page.object_list)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "service/case_list.html",
        {
            "form": form,
            "page_obj": page,
            "rows": rows,
            "linkable": linkable,
            "queues": selectors.queue_overview(user=request.user),
            "counts": selectors.case_counts(user=request.user),
            "queue_id": filters.queue_id,
            "querystring_base": (query.urlencode() + "&") if query else "",
        },
    )


def _suggestions(request: AuthedRequest, case: Case) -> Any:
    """Articles that may answer the case (knowledge), if that app offers suggestions."""
    try:
        from ckm.knowledge.selectors import SUGGESTION_FLOOR, article_suggest
    except ImportError:
        return None
    if not request.user.has_perm("knowledge.view_article"):
        return None
    try:
        return article_suggest(
            text=f"{case.subject}\n{case.body}",
            user=request.user,
            limit=3,
            min_confidence=SUGGESTION_FLOOR,
        )
    except Exception:  # suggestions are a help, never a reason for the case page to fail
        return None


def _article_hits(request: AuthedRequest) -> dict[str, Any]:
    """The case page's own article search: the words typed, and the articles found."""
    query = request.GET.get("q", "").strip()[:300]
    hits: list[Any] = []
    if query and request.user.has_perm("knowledge.view_article"):
        try:
            from ckm.knowledge.selectors import article_search
        except ImportError:
            pass
        else:
            hits = article_search(user=request.user, query=query, limit=8).hits
    return {"query": query, "hits": hits}


def _case_part(
    request: AuthedRequest, case_id: int, template: str, context: Callable[[], dict[str, Any]]
) -> HttpResponse:
    """A part of the case page that htmx swaps in (a search's results, found once the case is
    known to be visible); without htmx, the case page itself, which shows the same part."""
    if not request.htmx:
        return redirect(
            f"{reverse('service:case_detail', args=[case_id])}?{request.GET.urlencode()}"
        )
    case = selectors.case_get(user=request.user, case_id=case_id)
    return render(request, template, {"case": case, **context()})


@permission_required("service.view_case", raise_exception=True)
def case_article_search(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Articles found by the agent's own words, each to attach as the answer, for when no
    suggestion fits."""
    can_work = request.user.has_perm("service.change_case")
    return _case_part(
        request,
        case_id,
        "service/_case_article_hits.html",
        lambda: {**_article_hits(request), "can_work": can_work},
    )


def _link_hits(request: AuthedRequest) -> dict[str, Any]:
    """The customers found for "Link to a customer": the words typed, and the customers (name,
    e-mail, phone or customer number, as the main search) among those the user may see."""
    query = request.GET.get("link_q", "").strip()[:200]
    found = []
    if query and request.user.has_perm("customers.view_customer"):
        found = customer_search(user=request.user, q=query, limit=8)
        points = contact_points_of([c.pk for c in found])
        for customer in found:
            # e-mail, numbers and date of birth: which of two of one name wrote to us
            customer.link_points = points.get(customer.pk, [])[:3]  # type: ignore[attr-defined]
    return {
        "link_query": query,
        "link_hits": found,
        "link_too_short": len(query) < SEARCH_MIN_CHARS,
    }


@permission_required("service.change_case", raise_exception=True)
def case_link_search(request: AuthedRequest, case_id: int) -> HttpResponse:
    """The customers to link a case from an unknown contact to, each with "Link"."""
    return _case_part(request, case_id, "service/_case_link_hits.html", lambda: _link_hits(request))


@permission_required("service.view_case", raise_exception=True)
def case_detail(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(user=request.user, case_id=case_id)
    can_work = request.user.has_perm("service.change_case")
    # the Assign form (queue and agent) is the page's one way to assign, on every open case: the
    # workflow's "assigned" step is no second Assign button beside it (on a case in progress or
    # reopened it would only have put the case back to assigned)
    steps = [s for s in allowed_transitions(case) if s != CaseStatus.ASSIGNED] if can_work else []
    actions = [(s, ACTION_LABELS[s]) for s in steps]
    draft = _take_draft(request, case_id)
    return render(
        request,
        "service/case_detail.html",
        {
            "case": case,
            **_article_hits(request),
            "linkable": selectors.customers_linkable(user=request.user, ids=[case.customer_id]),
            "timers": timers(case),
            "actions": actions,
            "can_work": can_work,
            "can_reopen": can_work and case.status in ("resolved", "answered", "closed"),
            "messages_list": selectors.case_thread(case=case),
            "history": selectors.case_events(case=case),
            "reach": selectors.case_reach(case=case),
            # the customer's other cases beside this one: a second open case about the same
            # thing, or how the last one was resolved
            "other_cases": [
                c
                for c in selectors.customer_cases(user=request.user, customer_id=case.customer_id)
                if c.pk != case.pk
            ][:5]
            if case.customer_id
            else [],
            "correct_form": CorrectForm(
                initial={"product": case.product_id or "", "category": case.category}
            ),
            # a kept reply comes back as it was sent: an internal note stays internal
            "reply_form": ReplyForm(
                initial={
                    "internal": bool(draft.get("internal")),
                    "template": draft.get("template") or None,
                }
            ),
            "draft": draft,
            "satisfaction_comment_max": SATISFACTION_COMMENT_MAX,
            "reopen_reason_max": REOPEN_REASON_MAX,
            **(_link_hits(request) if not case.customer_id and can_work else {}),
            "categories": Case.objects.exclude(category="")
            .values_list("category", flat=True)
            .distinct()
            .order_by("category")[:200],
            "queues": selectors.queue_list(),
            "agents": User.objects.filter(is_active=True, case_queues__isnull=False)
            .distinct()
            .order_by("username"),
            "suggestions": _suggestions(request, case) if case.is_open or can_work else None,
            "classifier": selectors.classifier_active(),
        },
    )


def _back(case_id: int) -> HttpResponse:
    return redirect("service:case_detail", case_id=case_id)


# what a person types on the case page; kept when a step is refused, so nothing typed is lost
REOPEN_REASON_MAX = 500
_DRAFT_FIELDS = ("body", "resolution", "answer", "reason", "comment")
_DRAFTS = "case_drafts"


def _keep_draft(request: AuthedRequest, case_id: int, *, body: str | None = None) -> None:
    """Keep what was typed for the case page's next view; `body`: the reply as it should come
    back (an answer inserted into it), else as posted."""
    typed = {f: request.POST[f] for f in _DRAFT_FIELDS if request.POST.get(f, "").strip()}
    if body is not None:
        typed.pop("body", None)
        if body.strip():
            typed["body"] = body
    if "body" in typed:
        # the reply's choices go with its text: a refused internal note must not come back as a
        # reply to the customer (its box unticked)
        internal = ReplyForm.base_fields["internal"].to_python(request.POST.get("internal"))
        typed["internal"] = "1" if internal else ""
        typed["template"] = request.POST.get("template", "")
    if typed:
        drafts = request.session.get(_DRAFTS, {})
        drafts[str(case_id)] = typed
        request.session[_DRAFTS] = drafts


def _take_draft(request: AuthedRequest, case_id: int) -> dict[str, str]:
    drafts = request.session.get(_DRAFTS, {})
    draft = drafts.pop(str(case_id), {})
    if draft:
        request.session[_DRAFTS] = drafts
    return draft


def _refused(request: AuthedRequest, case_id: int, text: str) -> HttpResponse:
    messages.error(request, text)
    _keep_draft(request, case_id)
    return _back(case_id)


def _form_refused(request: AuthedRequest, case_id: int, form: Any) -> HttpResponse:
    """Back to the case with what is wrong, field by field, and what was typed kept."""
    return _refused(request, case_id, errors_text(form.errors, form))


def _run(
    request: AuthedRequest, case_id: int, action: Any, done: str, *, warn: bool = False
) -> HttpResponse:
    try:
        action()
    except (ValidationError, DomainError, PermissionDenied) as exc:
        _error(request, exc)
        _keep_draft(request, case_id)
    else:
        (messages.warning if warn else messages.success)(request, done)
    return _back(case_id)


def _not_sent(request: AuthedRequest, case_id: int, done: str) -> str | None:
    """What to say when what we write to the customer cannot be e-mailed (no address): it is
    only recorded on the case, and the agent has to tell them another way; None when it goes."""
    reach = selectors.case_reach(case=selectors.case_get(user=request.user, case_id=case_id))
    if reach.email:
        return None
    call = f" by phone ({reach.phone})" if reach.phone else " by phone"
    return (
        f"{done} It was recorded on the case, not sent: there is no e-mail address. "
        f"Tell the customer{call} or by letter."
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_transition(request: AuthedRequest, case_id: int) -> HttpResponse:
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, case_id, form)
    data = form.cleaned_data
    done = f"Case is now {CaseStatus(data['to_status']).label.lower()}."
    unsent = _not_sent(request, case_id, done) if data["to_status"] == "answered" else None
    return _run(
        request,
        case_id,
        lambda: services.case_transition(actor=request.user, case_id=case_id, **data),
        unsent or done,
        warn=unsent is not None,
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_reopen(request: AuthedRequest, case_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    if len(reason) > REOPEN_REASON_MAX:
        return _refused(
            request,
            case_id,
            f"Why reopen: at most {REOPEN_REASON_MAX} characters (it has {len(reason)}).",
        )
    return _run(
        request,
        case_id,
        lambda: services.case_reopen(actor=request.user, case_id=case_id, reason=reason),
        "Case reopened.",
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_assign(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _run(
        request,
        case_id,
        lambda: services.case_assign(
            actor=request.user,
            case_id=case_id,
            assignee_id=int_param(request.POST.get("assignee")),
            queue_id=int_param(request.POST.get("queue")),
        ),
        "Assignment changed.",
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_correct(request: AuthedRequest, case_id: int) -> HttpResponse:
    form = CorrectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a product from the list.")
        return _back(case_id)
    product = form.cleaned_data["product"]
    category = form.cleaned_data["category"].strip()
    if request.POST.get("accept") == "1":
        case = selectors.case_get(user=request.user, case_id=case_id)
        product = str(case.suggested_product_id or "")
        category = case.suggested_category
    return _run(
        request,
        case_id,
        lambda: services.case_correct(
            actor=request.user,
            case_id=case_id,
            product_id=int(product) if product else None,
            category=category or None,
        ),
        "Classification saved.",
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_reply(request: AuthedRequest, case_id: int) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, case_id, form)
    data = form.cleaned_data
    template = data["template"]
    unsent = None if data["internal"] else _not_sent(request, case_id, "Reply saved.")
    return _run(
        request,
        case_id,
        lambda: services.case_reply(
            actor=request.user,
            case_id=case_id,
            body=data["body"],
            template_id=template.pk if template else None,
            internal=data["internal"],
        ),
        "Note added." if data["internal"] else unsent or "Reply sent.",
        warn=unsent is not None,
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_satisfaction(request: AuthedRequest, case_id: int) -> HttpResponse:
    form = SatisfactionForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, case_id, form)
    return _run(
        request,
        case_id,
        lambda: services.case_satisfaction_record(
            actor=request.user, case_id=case_id, **form.cleaned_data
        ),
        "Satisfaction recorded.",
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_link(request: AuthedRequest, case_id: int) -> HttpResponse:
    customer_id = int_param(request.POST.get("customer_id", "").strip())
    if customer_id is None:
        messages.error(request, "Pick the customer.")
        return _back(case_id)
    return _run(
        request,
        case_id,
        lambda: services.case_link_customer(
            actor=request.user, case_id=case_id, customer_id=customer_id
        ),
        "Case linked to the customer.",
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_classify(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _run(
        request,
        case_id,
        lambda: services.case_classify(actor=request.user, case_id=case_id),
        "Classified again.",
    )


def _answered_by(request: AuthedRequest, case: Case, article: Any) -> None:
    """Evidence for the knowledge app's suggestions that `article` answered the case (once per
    case and article; the knowledge service writes the audit entry)."""
    knowledge_services.article_link_resolution(
        actor=request.user,
        article=article,
        text=f"{case.subject}\n{case.body}",
        source="case",
        source_id=str(case.pk),
        customer=case.customer,
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
def case_article_answered(request: AuthedRequest, case_id: int) -> HttpResponse:
    """ "This article answered it": evidence for the knowledge app's suggestions."""
    case = selectors.case_get(user=request.user, case_id=case_id)
    article_id = int_param(request.POST.get("article"))
    try:
        # only an article the agent may read (a draft or another audience's is no answer)
        article = knowledge_selectors.article_get_by_id(
            user=request.user, article_id=article_id or 0
        )
    except NotFound:
        messages.error(request, "No such article.")
        return _back(case_id)
    return _run(
        request,
        case_id,
        lambda: _answered_by(request, case, article),
        f"Noted: “{article.title}” answered this case.",
    )


@require_POST
@permission_required("service.change_case", raise_exception=True)
@permission_required("knowledge.view_article", raise_exception=True)
def case_article_insert(request: AuthedRequest, case_id: int) -> HttpResponse:
    """ "Insert in reply": the article's answer (with its portal link when customers can read it)
    goes into the reply draft at the agent's caret, else at the end, and is recorded as what
    answered the case, as "This article answered it" does. With htmx the reply box comes back
    filled; without, the case page with the draft. The button belongs to the reply form, so what
    the agent typed (and the template and internal choices) comes along and is kept."""
    case = selectors.case_get(user=request.user, case_id=case_id)
    article_id = int_param(request.POST.get("article"))
    if article_id is None:
        return HttpResponseBadRequest("Which article?")
    answer = knowledge_selectors.article_answer(
        user=request.user, article_id=article_id, site_url=request.build_absolute_uri("/")
    )
    article = answer.article
    typed = request.POST.get("body", "")
    body, caret = reply_insert(typed, answer.text, at=int_param(request.POST.get("at")))
    ok = len(body) <= REPLY_BODY_MAX
    if ok:
        try:
            _answered_by(request, case, article)
        except (ValidationError, DomainError, PermissionDenied) as exc:
            note = (
                f"“{article.title}” is in the reply (not noted as the answer: {error_text(exc)})."
            )
        else:
            note = f"“{article.title}” is in the reply and noted as what answered this case."
        if not article.is_public:
            note += " It is an internal article, written for agents: check it before it goes out."
    else:
        body, caret = typed.replace("\r\n", "\n"), -1
        note = (
            f"“{article.title}” would make the reply longer than {REPLY_BODY_MAX:,} characters: "
            "shorten it first, or send it and insert the answer in a second reply."
        )
    if request.htmx:
        context = {"body": body, "caret": caret, "note": note, "ok": ok}
        return render(request, "service/_reply_body.html", context, status=200 if ok else 422)
    (messages.success if ok else messages.error)(request, note)
    _keep_draft(request, case_id, body=body)
    return redirect(f"{reverse('service:case_detail', args=[case_id])}#reply-form")


@require_POST
@permission_required("service.add_case", raise_exception=True)
def case_log(request: AuthedRequest, customer_id: int) -> HttpResponse:
    """A case taken on the phone (or at the branch) from the customer profile."""
    customer = customer_get(user=request.user, customer_id=customer_id)
    form = CaseLogForm(request.POST)
    case = None
    if form.is_valid():
        data = form.cleaned_data
        product = Product.objects.filter(pk=data["product"]).first() if data["product"] else None
        try:
            case = services.case_intake(
                actor=request.user,
                channel=data["channel"],
                kind=data["kind"],
                priority=data["priority"],
                subject=data["subject"],
                body=data["body"],
                customer=customer,
                product=product,
                external_id=data["idempotency_key"] or "",
            )
        except (ValidationError, DomainError) as exc:
            _error(request, exc)
    if case is not None and not request.htmx:
        return redirect("service:case_detail", case_id=case.pk)
    context = {
        "customer": customer,
        "case_form": CaseLogForm() if case else form,
        "new_key": secrets.token_hex(8),
        "logged_case": case,
        "case_timers": timers(case) if case else None,
    }
    response = render(request, "service/_case_form.html", context, status=200 if case else 422)
    if case is not None:
        # the panel's list and count show the new case at once (out of band: the form is the
        # swap's target)
        panel = {
            "oob": True,
            "panel": selectors.customer_case_panel(user=request.user, customer=customer),
        }
        response.write(render_to_string("service/_customer_cases.html", panel, request=request))
        response.write(
            render_to_string("service/_customer_cases_count.html", panel, request=request)
        )
        response["HX-Trigger"] = "timeline-changed"
    return response


@permission_required("service.view_classifiermodel", raise_exception=True)
def classifier(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            job = services.classifier_train_start(actor=request.user)
        except PermissionDenied as exc:
            _error(request, exc)
        else:
            messages.success(request, f"Training started (job {job.pk}).")
        return redirect(reverse("service:classifier"))
    return render(
        request,
        "service/classifier.html",
        {
            "versions": selectors.classifier_versions(user=request.user)[:20],
            "active": selectors.classifier_active(),
            "can_train": request.user.has_perm("service.train_classifiermodel"),
        },
    )


@require_POST
@permission_required("service.train_classifiermodel", raise_exception=True)
def classifier_activate(request: AuthedRequest, version_id: int) -> HttpResponse:
    try:
        row = services.classifier_activate(actor=request.user, version_id=version_id)
    except (DomainError, PermissionDenied) as exc:
        _error(request, exc)
    else:
        messages.success(request, f"{row.version} now classifies new cases.")
    return redirect("service:classifier")
