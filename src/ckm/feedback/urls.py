from django.urls import path

from ckm.feedback import views

app_name = "feedback"

urlpatterns = [
    path("topics/", views.topic_list, name="topics"),
    path("topics/refresh/", views.topics_refresh, name="topics_refresh"),
    path("topics/<int:topic_id>/", views.topic_detail, name="topic_detail"),
    path("topics/<int:topic_id>/rename/", views.topic_rename, name="topic_rename"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_update, name="alert_update"),
    path("insights/", views.insight_board, name="insights"),
    path("insights/new/", views.insight_create, name="insight_create"),
    path("insights/<int:insight_id>/", views.insight_detail, name="insight_detail"),
    path("insights/<int:insight_id>/update/", views.insight_update, name="insight_update"),
    path("insights/<int:insight_id>/link/", views.insight_link, name="insight_link"),
    path("contacts/<int:contact_id>/", views.contact_record, name="contact_record"),
    path("gaps/", views.gap_list, name="gaps"),
    path("gaps/<int:gap_id>/", views.gap_detail, name="gap_detail"),
    path("gaps/<int:gap_id>/draft/", views.gap_draft, name="gap_draft"),
    path("gaps/<int:gap_id>/link/", views.gap_link, name="gap_link"),
    path("gaps/<int:gap_id>/dismiss/", views.gap_dismiss, name="gap_dismiss"),
]
