from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.my_bookings, name="bookings"),
    path("addresses/", views.address_list, name="addresses"),
    path("addresses/add/", views.address_add, name="address_add"),
    path("addresses/<uuid:key>/edit/", views.address_edit, name="address_edit"),
    path("addresses/<uuid:key>/delete/", views.address_delete, name="address_delete"),
    path("cards/", views.card_list, name="cards"),
    path("cards/remove/", views.card_remove, name="card_remove"),
]
