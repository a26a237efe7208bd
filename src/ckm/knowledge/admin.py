from django.contrib import admin

from ckm.core.admin import AuditedModelAdmin
from ckm.knowledge.models import (
    Article,
    ArticleEvidence,
    ArticleFeedback,
    ArticleTemplate,
    ArticleVersion,
    Category,
    SearchQuery,
    SuggestionModel,
)


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ("path", "slug", "position")
    search_fields = ("path",)


@admin.register(Article)
class ArticleAdmin(AuditedModelAdmin):
    list_display = ("title", "status", "audience", "category", "owner", "views", "published_at")
    list_filter = ("status", "audience", "category")
    search_fields = ("title", "slug", "external_id")
    raw_id_fields = ("owner", "category", "template")
    readonly_fields = ("body_html", "views", "helpful_yes", "helpful_no", "published_at")


@admin.register(ArticleVersion)
class ArticleVersionAdmin(AuditedModelAdmin):
    list_display = ("article", "number", "status", "author", "created_at")
    raw_id_fields = ("article", "author")


@admin.register(ArticleTemplate)
class ArticleTemplateAdmin(AuditedModelAdmin):
    list_display = ("name", "description")


@admin.register(SearchQuery)
class SearchQueryAdmin(AuditedModelAdmin):
    list_display = ("query", "where", "results", "top_score", "user", "created_at")
    list_filter = ("where",)


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(AuditedModelAdmin):
    list_display = ("article", "helpful", "where", "user", "created_at")
    raw_id_fields = ("article", "user")


@admin.register(ArticleEvidence)
class ArticleEvidenceAdmin(AuditedModelAdmin):
    list_display = ("article", "source", "source_id", "customer", "created_at")
    list_filter = ("source",)
    raw_id_fields = ("article", "customer", "created_by")


@admin.register(SuggestionModel)
class SuggestionModelAdmin(AuditedModelAdmin):
    list_display = ("version", "status", "active", "n_evidence", "n_articles", "threshold")
