from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.my_bookings, name="bookings"),
]
