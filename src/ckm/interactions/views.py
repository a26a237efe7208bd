"""Logging a contact from the customer profile (an htmx form that refreshes the timeline)."""

from __future__ import annotations

import secrets

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ckm.core.http import AuthedRequest
from ckm.customers.selectors import customer_get
from ckm.interactions.forms import InteractionForm
from ckm.interactions.services import interaction_log


@require_POST
@permission_required("interactions.add_interaction", raise_exception=True)
def log(request: AuthedRequest, customer_id: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=customer_id)
    form = InteractionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            interaction_log(
                actor=request.user,
                customer_id=customer.pk,
                channel=data["channel"],
                direction=data["direction"],
                subject=data["subject"],
                text=data["text"],
                outcome=data["outcome"],
                occurred_at=data["occurred_at"],
                external_id=data["idempotency_key"] or "",
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if not request.htmx:
                return redirect("desk:profile", customer_id=customer.pk)
            response = render(
                request,
                "interactions/_log_form.html",
                {
                    "customer": customer,
                    "interaction_form": InteractionForm(),
                    "logged": True,
                    "new_key": secrets.token_hex(8),
                },
            )
            response["HX-Trigger"] = "timeline-changed"
            return response
    status = 422 if request.htmx else 400
    return render(
        request,
        "interactions/_log_form.html",
        {"customer": customer, "interaction_form": form, "new_key": secrets.token_hex(8)},
        status=status,
    )
