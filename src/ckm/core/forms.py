"""Forms of the core pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings

from ckm.core.http import int_param
from ckm.core.models import AuditEntry


class DateInput(forms.DateInput):
    """The browser's date picker. It reads and writes ISO dates only: a value in the locale's
    format (12/12/1967) shows as empty and is saved empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """The browser's date and time picker (ISO, to the minute; see DateInput)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".zip,.csv,.yaml,.yml"}))
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> object:
        items = list(data) if isinstance(data, (list, tuple)) else [data]
        cleaned = []
        for item in items:
            try:
                cleaned.append(super().clean(item, initial))
            except forms.ValidationError as exc:
                # with several files, say which one (an empty customers.csv, say)
                name = getattr(item, "name", "")
                if not name:
                    raise
                raise forms.ValidationError(
                    [f"{name}: {message}" for message in exc.messages]
                ) from exc
        return cleaned


class ImportUploadForm(forms.Form):
    files = MultipleFileField(  # type: ignore[assignment]
        label="Package files",
        help_text="Choose a .zip of the package, or the CSV files and manifest.yaml together.",
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        uploads = self.files.getlist("files")  # type: ignore[attr-defined]
        if not uploads:
            raise forms.ValidationError("Choose a .zip or the package's CSV files.")
        total = sum(f.size or 0 for f in uploads)
        if total > settings.CKM_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The upload is {total / 1e9:.1f} GB; the limit is "
                f"{settings.CKM_IMPORT_MAX_BYTES / 1e9:.1f} GB. Use `ckm import` on the server instead."
            )
        for upload in uploads:
            name = (upload.name or "").lower()
            if not name.endswith((".zip", ".csv", ".yaml", ".yml")):
                raise forms.ValidationError(
                    f"{upload.name}: only .zip, .csv and manifest.yaml files belong in a package."
                )
        cleaned["uploads"] = uploads
        return cleaned


class KeyMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of records by key where a number beyond what a key holds is no choice: Django
    looks the values up with IN (...), which SQLite cannot compare with such a number (a 500)."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, (list, tuple)) else ():
            text = str(pk)
            if text.isascii() and text.isdigit() and int_param(text) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text},
                )
        return super().clean(value)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, label="User", help_text="Username")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *AuditEntry.Action.choices]
    )
    object_type = forms.CharField(
        required=False,
        label="Record type",
        help_text="e.g. Customer or customers.customer",
    )
    object_id = forms.CharField(required=False, label="Record id")
    since = forms.DateField(required=False, widget=DateInput())
    until = forms.DateField(required=False, widget=DateInput())

    def clean_object_type(self) -> str:
        """The log shows a record type in words ("Customer"): those words filter too."""
        value = str(self.cleaned_data.get("object_type") or "").strip()
        if not value or "." in value:
            return value.lower()
        codes = sorted(
            model._meta.label_lower
            for model in apps.get_models()
            if str(model._meta.verbose_name).lower() == value.lower()
        )
        return codes[0] if codes else value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "Until comes before since: no entry could match.")
        return cleaned


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Token name", help_text="What will use it, e.g. 'nightly export'."
    )
    days = forms.IntegerField(min_value=1, max_value=3650, initial=365, label="Valid for (days)")
