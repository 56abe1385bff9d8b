from django.apps import AppConfig


class ProConfig(AppConfig):
    name = "pro"
    verbose_name = "Therapists' portal"
