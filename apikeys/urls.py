from django.urls import path

from apikeys import views

app_name = "apikeys"
urlpatterns = [
    path("", views.administration, name="administration"),
    path("users/", views.user_management, name="user_management"),
    path("activity/", views.activity, name="activity"),
    path("api-keys/", views.key_list, name="list"),
    path("api-keys/new/", views.key_create, name="create"),
    path("api-keys/<str:key_id>/delete/", views.key_delete, name="delete"),
    path("api-keys/<str:key_id>/replace/", views.key_replace, name="replace"),
]
