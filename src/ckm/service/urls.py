from django.urls import path

from ckm.service import settings_views, views

app_name = "service"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("<int:case_id>/", views.case_detail, name="case_detail"),
    path("<int:case_id>/transition/", views.case_transition, name="case_transition"),
    path("<int:case_id>/reopen/", views.case_reopen, name="case_reopen"),
    path("<int:case_id>/assign/", views.case_assign, name="case_assign"),
    path("<int:case_id>/correct/", views.case_correct, name="case_correct"),
    path("<int:case_id>/reply/", views.case_reply, name="case_reply"),
    path("<int:case_id>/satisfaction/", views.case_satisfaction, name="case_satisfaction"),
    path("<int:case_id>/link/", views.case_link, name="case_link"),
    path("<int:case_id>/link/customers/", views.case_link_search, name="case_link_search"),
    path("<int:case_id>/classify/", views.case_classify, name="case_classify"),
    path("<int:case_id>/answered-by/", views.case_article_answered, name="case_article"),
    path("<int:case_id>/articles/", views.case_article_search, name="case_article_search"),
    path("<int:case_id>/insert-answer/", views.case_article_insert, name="case_article_insert"),
    path("log/<int:customer_id>/", views.case_log, name="case_log"),
    path("classifier/", views.classifier, name="classifier"),
    path(
        "classifier/<int:version_id>/activate/",
        views.classifier_activate,
        name="classifier_activate",
    ),
]

urlpatterns += [
    path("settings/", settings_views.settings_index, name="settings"),
    path(
        "settings/queues/<int:pk>/members/",
        settings_views.queue_member_save,
        name="settings_member_save",
    ),
    path(
        "settings/calendars/<int:pk>/holidays/",
        settings_views.holiday_add,
        name="settings_holiday_add",
    ),
    path(
        "settings/calendars/<int:pk>/holidays/<int:holiday_id>/remove/",
        settings_views.holiday_remove,
        name="settings_holiday_remove",
    ),
    path("settings/<slug:section>/", settings_views.settings_list, name="settings_list"),
    path("settings/<slug:section>/new/", settings_views.settings_edit, name="settings_new"),
    path("settings/<slug:section>/<int:pk>/", settings_views.settings_edit, name="settings_edit"),
    path(
        "settings/<slug:section>/<int:pk>/deactivate/",
        settings_views.settings_deactivate,
        name="settings_deactivate",
    ),
]
