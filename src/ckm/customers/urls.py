from django.urls import path

from ckm.customers import views

app_name = "customers"

urlpatterns = [
    path("new/", views.customer_new, name="new"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/facts/", views.fact_add, name="fact_add"),
    path("<int:customer_id>/facts/<int:fact_id>/delete/", views.fact_delete, name="fact_delete"),
    path("<int:customer_id>/consent/", views.consent_set, name="consent"),
    path("<int:customer_id>/confirm/<str:section>/", views.confirm, name="confirm"),
    path("<int:customer_id>/handover/", views.reassign, name="reassign"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/find/", views.duplicates_find, name="duplicates_find"),
    path("duplicates/<int:pair_id>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("duplicates/<int:pair_id>/reopen/", views.duplicate_reopen, name="duplicate_reopen"),
    # under duplicates/, so that the navigation marks "Duplicates" while two records are merged
    path("duplicates/merge/<int:customer_id>/", views.merge_pick, name="merge_pick"),
    path("duplicates/merge/<int:customer_id>/<int:other_id>/", views.merge, name="merge"),
]
