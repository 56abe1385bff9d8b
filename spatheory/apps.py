from django.apps import AppConfig


class SpatheoryConfig(AppConfig):
    name = "spatheory"

    def ready(self):
        from .page_cache import versions_connect

        versions_connect()
