from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.my_bookings, name="bookings"),
    path("sign-in/", views.ClientSignInView.as_view(), name="sign_in"),
    path("sign-in/code/", views.ClientSignInCodeView.as_view(), name="sign_in_code"),
    path("sign-out/", views.ClientSignOutView.as_view(), name="sign_out"),
    path("data/", views.my_data, name="data"),
    path("delete/", views.delete_account, name="delete"),
    path("addresses/", views.address_list, name="addresses"),
    path("addresses/add/", views.address_add, name="address_add"),
    path("addresses/<uuid:key>/edit/", views.address_edit, name="address_edit"),
    path("addresses/<uuid:key>/delete/", views.address_delete, name="address_delete"),
    path("cards/", views.card_list, name="cards"),
    path("cards/remove/", views.card_remove, name="card_remove"),
]
