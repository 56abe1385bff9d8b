from django.apps import AppConfig


class BlogConfig(AppConfig):
    verbose_name = "Journal"
    name = "blog"
