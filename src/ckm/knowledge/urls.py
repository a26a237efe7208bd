from django.urls import path

from ckm.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.search, name="search"),
    path("overview/", views.overview, name="overview"),
    path("usage/", views.usage, name="usage"),
    path("new/", views.article_new, name="new"),
    path("upload/", views.article_upload, name="upload"),
    path("preview/", views.article_preview, name="preview"),
    path("a/<slug:slug>/", views.article_detail, name="article"),
    path("a/<slug:slug>/edit/", views.article_edit, name="edit"),
    path("a/<slug:slug>/feedback/", views.article_feedback, name="feedback"),
    path("a/<slug:slug>/versions/", views.article_versions, name="versions"),
    path("a/<slug:slug>/versions/<int:number>/restore/", views.article_restore, name="restore"),
    path("a/<slug:slug>/<str:action>/", views.article_workflow, name="workflow"),
]
