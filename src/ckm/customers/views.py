"""Customer record pages: create and edit, personal facts, consent, confirmation, handover."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ckm.core.errors import DomainError
from ckm.core.http import AuthedRequest
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
        services.personal_fact_delete(actor=request.user, fact_id=fact_id)
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
