"""Core pages: log in/out (audited), imports with progress and reports, the audit log, API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ckm.core import selectors, services
from ckm.core.audit import audit_readable
from ckm.core.errors import DomainError
from ckm.core.forms import AuditFilterForm, ImportUploadForm, TokenForm
from ckm.core.http import AuthedRequest, csv_download
from ckm.core.models import ApiToken


@login_not_required
def health(request: AuthedRequest) -> HttpResponse:
    """Liveness probe for load balancers (no data, no login)."""
    return HttpResponse("ok", content_type="text/plain")


class LoginView(auth_views.LoginView):
    """Sign-ins, failed ones and sign-outs are audited by ckm.core.signals."""

    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Logging out is a POST (the menu's button). The address typed or bookmarked asks with
    that button instead of answering an empty 405; signed out already, it goes to log in."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("login")
        return render(request, "core/logout.html")


@permission_required("core.view_importrun", raise_exception=True)
def import_list(request: AuthedRequest) -> HttpResponse:
    runs = Paginator(selectors.import_run_list(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    form = ImportUploadForm()
    if request.method == "POST":
        if not request.user.has_perm("core.add_importrun"):
            messages.error(request, "Your role may not run imports.")
            return redirect("core:import_list")
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            uploads = form.cleaned_data["uploads"]
            try:
                run = services.import_upload(
                    user=request.user, uploads=uploads, label=f"Upload {uploads[0].name}"
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                return redirect("core:import_detail", run_id=run.pk)
    return render(request, "core/import_list.html", {"runs": runs, "page_obj": runs, "form": form})


@permission_required("core.view_importrun", raise_exception=True)
def import_detail(request: AuthedRequest, run_id: int) -> HttpResponse:
    run = selectors.import_run_get(user=request.user, run_id=run_id)
    issues = Paginator(
        selectors.import_issue_list(
            user=request.user, run_id=run_id, file=request.GET.get("file", "")
        ),
        100,
    )
    page = issues.get_page(request.GET.get("page"))
    return render(
        request,
        "core/import_detail.html",
        {
            "run": run,
            "issues": page,
            "page_obj": page,
            "querystring_base": f"file={request.GET.get('file', '')}&",
        },
    )


@permission_required("core.view_importrun", raise_exception=True)
def import_issues_csv(request: AuthedRequest, run_id: int) -> StreamingHttpResponse:
    """Every problem of an import as CSV (line, column, value, reason), streamed."""
    issues = selectors.import_issue_list(user=request.user, run_id=run_id)

    def rows() -> Any:
        yield ["file", "line", "column", "value", "reason"]
        for issue in issues.iterator(chunk_size=2000):
            yield [issue.file, issue.line, issue.column, issue.value, issue.reason]

    return csv_download(
        rows(),
        f"import-{run_id}-problems.csv",
        actor=request.user,
        what=f"the problems of import {run_id}",
    )


def job_progress(request: AuthedRequest, job_id: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, job_id=job_id)
    response = render(
        request,
        "core/_job_progress.html",
        {
            "job": job,
            "refresh_on_finish": request.GET.get("refresh") == "1",
            # an import's page shows the run's state above the bar: refreshed with it
            "run": selectors.import_run_of_job(user=request.user, job=job),
        },
    )
    if job.is_finished and request.GET.get("refresh") == "1":
        response["HX-Refresh"] = "true"
    return response


@permission_required("core.view_auditentry", raise_exception=True)
def audit_list(request: AuthedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        # a bad value is shown with its error and left out; the other filters still apply
        # (dropping them all would show the whole log as if it were the filtered one)
        form.is_valid()
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    entries = selectors.audit_list(user=request.user, **filters)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    page.object_list = audit_readable(page.object_list, user=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_list.html",
        {
            "form": form,
            "entries": page,
            "page_obj": page,
            "querystring_base": query.urlencode() + "&" if query else "",
        },
    )


def tokens(request: AuthedRequest) -> HttpResponse:
    """The user's own API tokens: create (shown once) and revoke."""
    new_key = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_key = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
        )
        form = TokenForm()
    user_tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request, "core/tokens.html", {"form": form, "tokens": user_tokens, "new_key": new_key}
    )


@require_POST
def token_revoke(request: AuthedRequest, token_id: int) -> HttpResponse:
    try:
        services.api_token_revoke(user=request.user, token_id=token_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Token revoked.")
    return redirect("core:tokens")
