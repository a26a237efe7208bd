from __future__ import annotations

from typing import Any

from django import forms

from ckm.performance.selectors import WEEKS_DEFAULT
from ckm.service.selectors import queue_list

WEEK_CHOICES = [(4, "last 4 weeks"), (8, "last 8 weeks"), (12, "last 12 weeks")]
WEEK_CHOICES += [(26, "last 26 weeks"), (52, "last 52 weeks")]


class DeskFilterForm(forms.Form):
    """The period and queue of the desk dashboard; bad values fall back to the defaults."""

    weeks = forms.TypedChoiceField(
        label="Period", choices=WEEK_CHOICES, coerce=int, initial=WEEKS_DEFAULT, required=False
    )
    queue = forms.ModelChoiceField(
        label="Queue", queryset=queue_list(), required=False, empty_label="Every queue"
    )

    def values(self) -> dict[str, Any]:
        """The period and queue to count: each bad value falls back to its default alone."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data then holds the values that are valid
            data = self.cleaned_data
        queue = data.get("queue")
        return {
            "weeks": data.get("weeks") or WEEKS_DEFAULT,
            "queue_id": queue.pk if queue else None,
        }

    def as_counted(self) -> DeskFilterForm:
        """A form showing the values that were counted: a value missing or bad fell back to
        its default, which the select would otherwise not show (but its first choice)."""
        if not self.is_bound:
            return self
        values = self.values()
        shown = DeskFilterForm({"weeks": values["weeks"], "queue": values["queue_id"] or ""})
        shown.is_valid()
        for name, errors in self.errors.items():
            shown.add_error(name, [f"{error} Showing the default." for error in errors])
        return shown
