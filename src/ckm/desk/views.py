"""The desk: the pages staff work in every day (start page, customer search and list, profile)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ckm.core.errors import NotFound
from ckm.core.http import AuthedRequest, int_param
from ckm.core.selectors import audit_for_customer
from ckm.customers import selectors as customer_selectors
from ckm.customers.forms import PersonalFactForm
from ckm.customers.selectors import CustomerFilters
from ckm.customers.services import customer_profile_viewed
from ckm.desk.forms import CustomerFilterForm
from ckm.desk.panels import profile_panels
from ckm.desk.selectors import timeline, timeline_event_count
from ckm.interactions.forms import InteractionForm
from ckm.interactions.models import Channel
from ckm.interactions.selectors import channel_counts, last_contact, office_choices


def home(request: AuthedRequest) -> HttpResponse:
    """The start page: what this role needs first."""
    user = request.user
    context: dict[str, Any] = {"today": timezone.localdate()}
    if user.has_perm("customers.view_customer"):
        context["counts"] = customer_selectors.customer_counts(user=user)
    if user.has_perm("customers.view_personalfact"):
        context["upcoming"] = customer_selectors.upcoming_personal_dates(
            user=user, days=30, limit=12
        )
    if user.has_perm("customers.confirm_customer"):
        context["stale"] = customer_selectors.stale_customers(user=user, limit=10)
    return render(request, "desk/home.html", context)


@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request: AuthedRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None, user=request.user)
    filters = CustomerFilters()
    if form.is_bound:
        # a bad value is shown with its error and left out; the other filters still apply
        # (dropping them all would list every customer as if they matched)
        form.is_valid()
        data = form.cleaned_data
        filters = CustomerFilters(
            q=data.get("q") or "",
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            owner_id=data["owner"].pk if data.get("owner") else None,
            team_id=data["team"].pk if data.get("team") else None,
            office_id=data["office"].pk if data.get("office") else None,
            mine=bool(data.get("mine")),
        )
    sort = customer_selectors.CUSTOMER_SORTS.choose(request.GET.get("sort"))
    customers = customer_selectors.customer_list(user=request.user, filters=filters, sort=sort)
    page = Paginator(customers, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "desk/customer_list.html",
        {
            "form": form,
            "customers": page,
            "page_obj": page,
            "sort": sort,
            "querystring_base": query.urlencode() + "&" if query else "",
        },
    )


@permission_required("customers.view_customer", raise_exception=True)
def search_suggest(request: AuthedRequest) -> HttpResponse:
    """As-you-type suggestions for the header search (an htmx fragment)."""
    query = request.GET.get("q", "")
    results = customer_selectors.customer_search(user=request.user, q=query, limit=8)
    return render(
        request,
        "desk/_search_results.html",
        {
            "results": results,
            "q": query,
            "too_short": len(query.strip()) < customer_selectors.SEARCH_MIN_CHARS,
        },
    )


@permission_required("customers.view_customer", raise_exception=True)
def profile(request: AuthedRequest, customer_id: int) -> HttpResponse:
    """The customer profile: the page an agent lives on."""
    try:
        data = customer_selectors.customer_profile(user=request.user, customer_id=customer_id)
    except NotFound:
        survivor = customer_selectors.merged_into(user=request.user, former_id=customer_id)
        if survivor is None:
            raise
        # an old link to a merged record leads to the record it was merged into
        messages.info(request, "That record was merged into this one.")
        return redirect("desk:profile", customer_id=survivor)
    customer = data.customer
    customer_profile_viewed(actor=request.user, customer=customer)
    merged = list(customer.merged_records.select_related("merged_by"))
    can_see_contacts = request.user.has_perm("interactions.view_interaction")
    context = {
        "p": data,
        "customer": customer,
        "timeline": _timeline_context(request, customer),
        "last_contact": last_contact(customer_id=customer.pk) if can_see_contacts else None,
        "new_key": secrets.token_hex(8),
        "fact_form": PersonalFactForm(),
        "interaction_form": InteractionForm()
        if request.user.has_perm("interactions.add_interaction")
        else None,
        "merged_records": merged,
        "duplicates": customer_selectors.duplicates_of(user=request.user, customer=customer),
        "can_merge": request.user.has_perm("customers.merge_customer"),
        "history": audit_for_customer(
            user=request.user,
            customer_id=customer.pk,
            limit=25,
            former_ids=[m.former_id for m in merged],
        )
        if data.can["history"]
        else None,
        "panels": profile_panels(user=request.user, customer=customer),
    }
    return render(request, "desk/profile.html", context)


@permission_required("customers.view_customer", raise_exception=True)
def profile_timeline(request: AuthedRequest, customer_id: int) -> HttpResponse:
    """The timeline fragment: filtered by channel/office, paged by a time cursor."""
    customer = customer_selectors.customer_get(user=request.user, customer_id=customer_id)
    return render(
        request,
        "desk/_timeline.html",
        {"customer": customer, "timeline": _timeline_context(request, customer)},
    )


def _timeline_context(request: AuthedRequest, customer: Any) -> dict[str, Any]:
    channel = request.GET.get("channel", "")
    office = request.GET.get("office", "")
    before = _before(request.GET.get("before", ""))
    office_id = int_param(office)
    page = timeline(
        user=request.user, customer=customer, channel=channel, office_id=office_id, before=before
    )
    can_see_contacts = request.user.has_perm("interactions.view_interaction")
    counts = channel_counts(customer_id=customer.pk) if can_see_contacts else {}
    return {
        "page": page,
        "channel": channel,
        "office": office_id,
        "before": before,
        "channel_counts": [
            (code, Channel(code).label if code in Channel.values else code, n)
            for code, n in sorted(counts.items(), key=lambda kv: -kv[1])
        ],
        # "All" lists the record's events (cases, handovers, consent...) beside the contacts
        "total": sum(counts.values()) + timeline_event_count(user=request.user, customer=customer),
        "offices": office_choices(customer_id=customer.pk) if can_see_contacts else [],
    }


def _before(value: str) -> dt.datetime | None:
    """The timeline's cursor: a moment, or None (the newest) for one that is not a moment -
    parse_datetime raises for 2026-13-45T10:00, which looks like one."""
    try:
        return parse_datetime(value) if value else None
    except ValueError:
        return None
