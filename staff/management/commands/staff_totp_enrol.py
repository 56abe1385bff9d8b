from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from staff.services import totp_device_create, totp_secret


class Command(BaseCommand):
    help = (
        "Give a staff account its second factor: creates a confirmed TOTP device and prints "
        "the otpauth:// link and the setup key to add to an authenticator app."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace the account's authenticator app (a lost phone): the old one stops",
        )

    def handle(self, *args, username, replace, **options):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(
                f"No account {username!r}: create it first (createsuperuser)."
            ) from None
        if not user.is_staff:
            raise CommandError(f"{username} is not staff: only staff sign in to the admin.")
        try:
            device = totp_device_create(user=user, replace=replace)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Authenticator app for {username} created. Add it to the app with")
        self.stdout.write(f"  link:      {device.config_url}")
        self.stdout.write(f"  setup key: {totp_secret(device)} (time based, 6 digits, 30 s)")
        self.stdout.write(
            "The link and key sign in with the password: keep them secret and clear this screen."
        )
