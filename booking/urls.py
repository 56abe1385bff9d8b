from django.urls import path, register_converter

from .models import TOKEN_PATTERN
from .views import catalogue, flow, jobs, manage, texts


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
    path("services/", catalogue.service_list, name="service_list"),
    path("services/<slug:slug>/", catalogue.service_detail, name="service_detail"),
    path("book/", flow.book, name="book"),
    path("book/zip-check/", flow.book_zip_check, name="book_zip_check"),
    path("book/lengths/", flow.book_lengths, name="book_lengths"),
    path("book/time/", flow.book_time, name="book_time"),
    path("book/details/", flow.book_details, name="book_details"),
    path("book/review/", flow.book_review, name="book_review"),
    path("booking/lost-link/", manage.lost_link, name="lost_link"),
    path("booking/<token:token>/", manage.booking_detail, name="detail"),
    path("booking/<token:token>/calendar.ics", manage.booking_calendar, name="calendar"),
    path("booking/<token:token>/reschedule/", manage.booking_reschedule_view, name="reschedule"),
    path("booking/<token:token>/cancel/", manage.booking_cancel_view, name="cancel"),
    path("booking/<token:token>/again/", flow.book_again, name="book_again"),
    path("jobs/<token:token>/", jobs.job, name="job"),
    path("pro/calendar/<token:token>.ics", jobs.therapist_calendar, name="therapist_calendar"),
    path("texts/inbound/", texts.text_inbound, name="text_inbound"),
]
