from django.urls import path

from . import views

app_name = "pro"

urlpatterns = [
    path("", views.jobs, name="jobs"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path(
        "jobs/<int:pk>/<slug:action>/",
        views.job_action,
        name="job_action",
    ),
    path("hours/", views.hours, name="hours"),
    path("time-off/", views.time_off, name="time_off"),
    path("earnings/", views.earnings, name="earnings"),
]
