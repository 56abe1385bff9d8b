from django.urls import path, re_path

from booking.models import TOKEN_PATTERN

from . import views

app_name = "payments"

urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    re_path(rf"^(?P<token>{TOKEN_PATTERN})/tip/$", views.tip, name="tip"),
    re_path(rf"^(?P<token>{TOKEN_PATTERN})/card/$", views.card, name="card"),
]
