from django.urls import path

from ckm.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_builder, name="new"),
    path("preview/", views.campaign_preview, name="preview"),
    path("my-lists/", views.my_lists, name="my_lists"),
    path("loop/", views.loop, name="loop"),
    path("loop/retrain/", views.retrain, name="retrain"),
    path("loop/uplift/", views.uplift_train, name="uplift_train"),
    path("members/<int:member_id>/outcome/", views.member_outcome, name="member_outcome"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/edit/", views.campaign_builder, name="edit"),
    path("<int:campaign_id>/plan/", views.campaign_plan, name="plan"),
    path("<int:campaign_id>/approve/", views.campaign_approve, name="approve"),
    path("<int:campaign_id>/launch/", views.campaign_launch, name="launch"),
    path("<int:campaign_id>/close/", views.campaign_close, name="close"),
    path("<int:campaign_id>/detect/", views.campaign_detect, name="detect"),
    path("<int:campaign_id>/export/", views.campaign_export, name="export"),
    path("<int:campaign_id>/responses/", views.campaign_responses, name="responses"),
]
