from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from booking.retention import booking_anonymise_ended, retention_cutoff
from booking.selectors import booking_list_to_anonymise


def _bookings(count: int) -> str:
    return f"{count} booking{'s' if count != 1 else ''}"


class Command(BaseCommand):
    help = (
        "Remove the client's personal details from bookings that ended BOOKING_RETENTION_MONTHS "
        "ago, keeping the business figures (see booking/retention.py). Beat runs it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the bookings it would anonymise."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        months = settings.BOOKING_RETENTION_MONTHS
        if months <= 0:
            self.stdout.write("BOOKING_RETENTION_MONTHS is 0: no booking is anonymised.")
            return
        now = timezone.now()
        cutoff = retention_cutoff(now=now, months=months)
        ended = f"ended before {cutoff:%b} {cutoff.day}, {cutoff.year} ({months} months ago)"
        if dry_run:
            count = booking_list_to_anonymise(ended_before=cutoff).count()
            self.stdout.write(f"Would anonymise {_bookings(count)} that {ended}.")
            return
        done = booking_anonymise_ended(now=now)
        self.stdout.write(
            f"Anonymised {_bookings(done.bookings)} that {ended}; "
            f"{done.messages} message{'s' if done.messages != 1 else ''} no longer name the client."
        )
