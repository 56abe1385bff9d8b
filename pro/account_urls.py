"""The only django-allauth pages the site serves: ask for a code, enter it, sign out. allauth
finds them by these names; its password, signup and email pages are never routed."""

from allauth.account import views
from django.urls import path

urlpatterns = [
    path("sign-in/", views.request_login_code, name="account_login"),
    path("sign-in/", views.request_login_code, name="account_request_login_code"),
    path("sign-in/code/", views.confirm_login_code, name="account_confirm_login_code"),
    path("sign-in/closed/", views.account_inactive, name="account_inactive"),
    path("sign-out/", views.logout, name="account_logout"),
]
