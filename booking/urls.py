from django.urls import path, register_converter

from . import views
from .models import TOKEN_PATTERN


class TokenConverter:
    """URL-safe base64 tokens; anything else never reaches a view (a plain 404)."""

    regex = TOKEN_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")

app_name = "booking"

urlpatterns = [
    path("services/", views.service_list, name="service_list"),
    path("services/<slug:slug>/", views.service_detail, name="service_detail"),
    path("book/", views.book, name="book"),
    path("book/zip-check/", views.book_zip_check, name="book_zip_check"),
    path("book/time/", views.book_time, name="book_time"),
    path("book/details/", views.book_details, name="book_details"),
    path("book/review/", views.book_review, name="book_review"),
    path("booking/lost-link/", views.lost_link, name="lost_link"),
    path("booking/<token:token>/", views.booking_detail, name="detail"),
    path("booking/<token:token>/calendar.ics", views.booking_calendar, name="calendar"),
    path("booking/<token:token>/reschedule/", views.booking_reschedule_view, name="reschedule"),
    path("booking/<token:token>/cancel/", views.booking_cancel_view, name="cancel"),
    path("jobs/<token:token>/", views.job, name="job"),
]
