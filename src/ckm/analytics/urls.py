from django.urls import path

from ckm.analytics.views import models, people, segments

app_name = "analytics"

urlpatterns = [
    path("segments/", segments.segment_list, name="segments"),
    path("segments/new/", segments.segment_builder, name="segment_new"),
    path("segments/condition/", segments.segment_condition, name="segment_condition"),
    path("segments/preview/", segments.segment_preview, name="segment_preview"),
    path("segments/learn/", segments.segments_learn, name="segments_learn"),
    path("segments/<int:segment_id>/", segments.segment_detail, name="segment_detail"),
    path("segments/<int:segment_id>/edit/", segments.segment_builder, name="segment_edit"),
    path("segments/<int:segment_id>/delete/", segments.segment_delete, name="segment_delete"),
    path("models/", models.model_list, name="models"),
    path("models/train/", models.model_train, name="model_train"),
    path("models/rollback/", models.model_rollback, name="model_rollback"),
    path("models/refresh/", models.refresh, name="refresh"),
    path("models/<int:version_id>/", models.model_detail, name="model_detail"),
    path("models/<int:version_id>/promote/", models.model_promote, name="model_promote"),
    path("models/<int:version_id>/score/", models.model_rescore, name="model_score"),
    path("models/<int:version_id>/retire/", models.model_retire, name="model_retire"),
    path("alerts/", people.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", people.alert_update, name="alert_update"),
    path("alerts/rules/", people.alert_rule_list, name="alert_rules"),
    path("alerts/rules/new/", people.alert_rule_edit, name="alert_rule_new"),
    path("alerts/rules/<int:rule_id>/", people.alert_rule_edit, name="alert_rule_edit"),
    path("alerts/evaluate/", people.alerts_evaluate, name="alerts_evaluate"),
    path("prospects/", people.prospect_list, name="prospects"),
    path("customers/", people.customer_report, name="report"),
    path("value/", people.value_settings, name="value_settings"),
]
