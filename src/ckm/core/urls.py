from django.urls import path

from ckm.core import views

app_name = "core"

urlpatterns = [
    path("health/", views.health, name="health"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:run_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:run_id>/issues.csv", views.import_issues_csv, name="import_issues_csv"),
    path("jobs/<int:job_id>/progress/", views.job_progress, name="job_progress"),
    path("audit/", views.audit_list, name="audit_list"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
