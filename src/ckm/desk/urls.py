from django.urls import path

from ckm.desk import views

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/suggest/", views.search_suggest, name="search_suggest"),
    path("customers/<int:customer_id>/", views.profile, name="profile"),
    path("customers/<int:customer_id>/timeline/", views.profile_timeline, name="timeline"),
]
