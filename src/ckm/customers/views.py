"""Customer record pages: create and edit, personal facts, consent, confirmation, handover."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ckm.core.errors import DomainError
from ckm.core.http import AuthedRequest, redirect_back
from ckm.customers import selectors, services
from ckm.customers.forms import ConsentForm, CustomerForm, PersonalFactForm, ReassignForm


def _form_errors(form: object, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)  # type: ignore[attr-defined]


@permission_required("customers.add_customer", raise_exception=True)
def customer_new(request: AuthedRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = {k: ("" if v is None else v) for k, v in form.cleaned_data.items()}
        data["date_of_birth"] = form.cleaned_data.get("date_of_birth")
        try:
            customer = services.customer_create(
                actor=request.user,
                owner=request.user if request.user.role == "relationship_manager" else None,
                **data,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{customer} was created.")
            lookalikes = selectors.customer_lookalikes(user=request.user, customer=customer)
            if lookalikes:
                names = ", ".join(f"{c} ({c.external_id})" for c in lookalikes)
                messages.warning(
                    request,
                    f"Possibly the same customer as {names}: if so, use Merge… to join the records.",
                )
            return redirect("desk:profile", customer_id=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "title": "New customer"})


@permission_required("customers.change_customer", raise_exception=True)
def customer_edit(request: AuthedRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, customer_id=customer_id)
    primary = selectors.primary_contacts(customer)
    form = CustomerForm(request.POST or None, instance=customer, initial=primary)
    form.fields["email"].help_text = form.fields["phone"].help_text = (
        "A new value becomes the primary one; the old stays on the record."
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: v for k, v in data.items() if k in services.IDENTITY_FIELDS}
        try:
            services.customer_update(
                actor=request.user,
                customer_id=customer.pk,
                email=data.get("email"),
                phone=data.get("phone"),
                **fields,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("desk:profile", customer_id=customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "customer": customer, "title": f"Edit {customer}"},
    )


@require_POST
@permission_required("customers.add_personalfact", raise_exception=True)
def fact_add(request: AuthedRequest, customer_id: int) -> HttpResponse:
    form = PersonalFactForm(request.POST)
    if form.is_valid():
        try:
            services.personal_fact_add(
                actor=request.user, customer_id=customer_id, **form.cleaned_data
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            form = PersonalFactForm()
    return _facts_fragment(request, customer_id, form)


@require_POST
@permission_required("customers.delete_personalfact", raise_exception=True)
def fact_delete(request: AuthedRequest, customer_id: int, fact_id: int) -> HttpResponse:
    try:
        services.personal_fact_delete(actor=request.user, fact_id=fact_id, customer_id=customer_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _facts_fragment(request, customer_id, PersonalFactForm())


def _facts_fragment(
    request: AuthedRequest, customer_id: int, form: PersonalFactForm
) -> HttpResponse:
    if not request.htmx:
        return redirect("desk:profile", customer_id=customer_id)
    profile = selectors.customer_profile(user=request.user, customer_id=customer_id)
    return render(
        request,
        "customers/_facts.html",
        {"p": profile, "customer": profile.customer, "fact_form": form},
    )


@require_POST
@permission_required("customers.change_consent", raise_exception=True)
def consent_set(request: AuthedRequest, customer_id: int) -> HttpResponse:
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.consent_set(actor=request.user, customer_id=customer_id, **form.cleaned_data)
    else:
        messages.error(request, "Choose a purpose, a channel and granted or withdrawn.")
    if not request.htmx:
        return redirect("desk:profile", customer_id=customer_id)
    profile = selectors.customer_profile(user=request.user, customer_id=customer_id)
    return render(request, "customers/_consent.html", {"p": profile, "customer": profile.customer})


@require_POST
@permission_required("customers.confirm_customer", raise_exception=True)
def confirm(request: AuthedRequest, customer_id: int, section: str) -> HttpResponse:
    try:
        services.record_confirm(actor=request.user, customer_id=customer_id, section=section)
    except ValidationError:
        messages.error(request, "Unknown part of the record.")
    if not request.htmx:
        return redirect("desk:profile", customer_id=customer_id)
    profile = selectors.customer_profile(user=request.user, customer_id=customer_id)
    return render(
        request, "customers/_freshness.html", {"p": profile, "customer": profile.customer}
    )


@permission_required("customers.reassign_customer", raise_exception=True)
def reassign(request: AuthedRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, customer_id=customer_id)
    form = ReassignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.customer_reassign(actor=request.user, customer_id=customer.pk, **form.cleaned_data)
        messages.success(request, "Handed over. The note is on the timeline.")
        return redirect("desk:profile", customer_id=customer.pk)
    return render(request, "customers/reassign.html", {"form": form, "customer": customer})


# --- identity resolution ----------------------------------------------------------------------


@permission_required("customers.view_duplicatepair", raise_exception=True)
def duplicates(request: AuthedRequest) -> HttpResponse:
    """Probable duplicates to decide, most probable first."""
    status = request.GET.get("status", "open")
    if status not in ("open", "dismissed"):
        status = "open"
    pairs = Paginator(selectors.duplicate_list(user=request.user, status=status), 50)
    return render(
        request,
        "customers/duplicates.html",
        {
            "page": pairs.get_page(request.GET.get("page")),
            "status": status,
            "jobs": selectors.duplicate_jobs(),
            "can_merge": request.user.has_perm("customers.merge_customer"),
        },
    )


@require_POST
@permission_required("customers.merge_customer", raise_exception=True)
def duplicates_find(request: AuthedRequest) -> HttpResponse:
    job = services.duplicates_find_start(actor=request.user)
    messages.success(request, f"Looking for customers recorded twice (job {job.pk}).")
    return redirect("customers:duplicates")


@require_POST
@permission_required("customers.merge_customer", raise_exception=True)
def duplicate_dismiss(request: AuthedRequest, pair_id: int) -> HttpResponse:
    pair = services.duplicate_dismiss(actor=request.user, pair_id=pair_id)
    messages.success(
        request, f"{pair.customer} and {pair.other} are kept apart; the pair is not proposed again."
    )
    return redirect_back(request, request.POST.get("next"), "customers:duplicates")


@require_POST
@permission_required("customers.merge_customer", raise_exception=True)
def duplicate_reopen(request: AuthedRequest, pair_id: int) -> HttpResponse:
    pair = services.duplicate_reopen(actor=request.user, pair_id=pair_id)
    messages.success(request, f"{pair.customer} and {pair.other} are to decide again.")
    return redirect("customers:duplicates")


@permission_required("customers.merge_customer", raise_exception=True)
def merge_pick(request: AuthedRequest, customer_id: int) -> HttpResponse:
    """Choose the record to merge with this customer (search by name, e-mail, phone or id)."""
    customer = selectors.customer_get(user=request.user, customer_id=customer_id)
    query = request.GET.get("q", "").strip()
    results = [
        c
        for c in selectors.customer_search(user=request.user, q=query, limit=20)
        if c.pk != customer.pk and c.kind == customer.kind
    ]
    return render(
        request,
        "customers/merge_pick.html",
        {
            "customer": customer,
            "q": query,
            "results": results,
            "too_short": len(query) < selectors.SEARCH_MIN_CHARS,
        },
    )


@permission_required("customers.merge_customer", raise_exception=True)
def merge(request: AuthedRequest, customer_id: int, other_id: int) -> HttpResponse:
    """Two records side by side: pick whose values to keep, then merge the second into the first."""
    if selectors.merged_into(user=request.user, former_id=other_id) == customer_id:
        messages.info(request, "These two records are merged already.")  # a second click
        return redirect("desk:profile", customer_id=customer_id)
    try:
        preview = selectors.merge_preview(
            user=request.user, customer_id=customer_id, other_id=other_id
        )
    except ValidationError as exc:  # the same record twice, a person and an organisation
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("customers:merge_pick", customer_id=customer_id)
    error = ""
    if request.method == "POST":
        take = {
            row.group: request.POST.get(f"take_{row.group}", row.default) for row in preview.rows
        }
        try:
            result = services.customer_merge(
                actor=request.user, customer_id=customer_id, other_id=other_id, take=take
            )
        except (ValidationError, DomainError) as exc:
            error = "; ".join(
                str(m) for ms in getattr(exc, "message_dict", {"": [str(exc)]}).values() for m in ms
            )
        else:
            moved, once = sum(result.moved.values()), len(result.dropped)
            messages.success(
                request,
                f"Merged {result.merged.display_name} ({result.merged.external_id}) into "
                f"{result.customer}: {moved} related record{'s' if moved != 1 else ''} moved"
                + (
                    f", {once} the record held already kept once (the copies are in the audit "
                    "entry)."
                    if once
                    else "."
                ),
            )
            return redirect("desk:profile", customer_id=result.customer.pk)
    return render(
        request,
        "customers/merge.html",
        {"p": preview, "error": error},
        status=400 if error else 200,
    )
