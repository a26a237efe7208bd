"""Forms of the knowledge pages: they validate input; the services do the work."""

from __future__ import annotations

from typing import Any

from django import forms

from ckm.core.forms import DateInput, DateTimeInput, KeyMultipleChoiceField
from ckm.customers.models import Product
from ckm.knowledge.models import Article, ArticleTemplate

MAX_UPLOAD = 10 * 1024 * 1024


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave empty to use the first paragraph.",
    )
    category = forms.CharField(
        required=False,
        max_length=400,
        help_text="A path such as Cards / Lost and stolen (new categories are created).",
        widget=forms.TextInput(attrs={"list": "category-paths"}),
    )
    audience = forms.ChoiceField(choices=Article.Audience.choices)
    products = KeyMultipleChoiceField(
        queryset=Product.objects.filter(is_active=True), required=False
    )
    tags = forms.CharField(required=False, max_length=400, help_text="Comma-separated.")
    review_at = forms.DateField(required=False, label="Next review", widget=DateInput())
    source_format = forms.ChoiceField(choices=Article.SourceFormat.choices, initial="md")
    body_source = forms.CharField(
        required=False,
        label="Body",
        widget=forms.Textarea(attrs={"rows": 18, "class": "mono"}),
    )
    template = forms.ModelChoiceField(
        queryset=ArticleTemplate.objects.all(), required=False, empty_label="(no template)"
    )
    note = forms.CharField(required=False, max_length=200, label="What changed")

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "summary": data["summary"],
            "category": data["category"] or None,
            "audience": data["audience"],
            "products": [p.pk for p in data["products"]],
            "tags": data["tags"],
            "review_at": data["review_at"],
            "body_source": data["body_source"],
            "source_format": data["source_format"],
        }


class UploadForm(forms.Form):
    file = forms.FileField(label="Word document (.docx)")
    title = forms.CharField(required=False, max_length=200, help_text="Defaults to the file name.")
    category = forms.CharField(
        required=False, max_length=400, widget=forms.TextInput(attrs={"list": "category-paths"})
    )
    audience = forms.ChoiceField(choices=Article.Audience.choices)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".docx"):
            raise forms.ValidationError("Upload a Word document (.docx).")
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError("The file is larger than 10 MB.")
        return upload


class PublishForm(forms.Form):
    at = forms.DateTimeField(
        required=False,
        label="Publish at",
        widget=DateTimeInput(),
        help_text="Empty: now.",
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires at",
        widget=DateTimeInput(),
    )


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda v: v == "yes"
    )
    comment = forms.CharField(required=False, max_length=500)
