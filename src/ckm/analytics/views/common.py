"""Helpers shared by the analytics pages."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError

from ckm.core.charts import chart_svg
from ckm.core.errors import DomainError
from ckm.core.http import AuthedRequest
from ckm.core.models import Job


def running_jobs(user: Any, *, kinds: tuple[str, ...] = ("analytics.",)) -> list[Job]:
    """The user's analytics jobs that are queued or running (their progress bars)."""
    jobs = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).order_by(
        "-created_at"
    )
    if not user.has_perm("core.view_job"):
        jobs = jobs.filter(created_by=user)
    return [j for j in jobs[:10] if j.kind.startswith(kinds)]


def report_error(request: AuthedRequest, exc: Exception) -> None:
    """A domain or validation error as a message on the page."""
    if isinstance(exc, ValidationError):
        text = (
            "; ".join(
                f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                for k, v in exc.message_dict.items()
            )
            if hasattr(exc, "error_dict")
            else " ".join(exc.messages)
        )
    elif isinstance(exc, DomainError):
        text = exc.message
    elif isinstance(exc, PermissionDenied):
        text = str(exc) or "Your role may not do this."
    else:
        text = str(exc)
    messages.error(request, text)


def hbar(frame: pd.DataFrame, *, x: str, y: str, title: str) -> Any:
    """A horizontal bar chart whose segment names are not cut short."""
    import altair as alt

    chart = (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{x}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X(f"{y}:Q", title=y),
            tooltip=[x, y],
        )
        .properties(width=300, height=max(120, 24 * len(frame)))
    )
    return chart_svg(chart, title=title)
