from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("", views.two_factor_verify, name="two_factor_verify"),
    path("enrol/", views.two_factor_enrol, name="two_factor_enrol"),
]
