from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from blog import demo as blog_demo
from booking import demo as booking_demo
from therapists import demo as therapists_demo


class Command(BaseCommand):
    help = (
        "Load demo data: create what is missing and leave existing rows, with any changes staff "
        "have made, as they are. A second run writes nothing."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        if settings.DEBUG:
            self._staff_login()
        therapists_demo.seed()
        booking_demo.seed()
        blog_demo.seed()
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

    def _staff_login(self):
        user_model = get_user_model()
        if user_model.objects.filter(username="admin").exists():
            return
        user_model.objects.create_superuser("admin", "admin@spatheory.com", "admin")
        self.stdout.write("Staff login for local use: admin / admin")
