import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection


class Command(BaseCommand):
    help = "Fail loudly unless the configured PostgreSQL and Redis both answer."

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(f"DATABASE_URL points at {connection.vendor}, not PostgreSQL.")
        try:
            connection.ensure_connection()
        except DatabaseError as exc:
            raise CommandError(
                f"PostgreSQL is not reachable at DATABASE_URL: {str(exc).strip()}"
            ) from None
        broker = settings.CELERY_BROKER_URL
        if not broker.startswith("redis"):
            raise CommandError(f"CELERY_BROKER_URL must be a redis:// URL, not {broker!r}.")
        try:
            redis.Redis.from_url(broker, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            raise CommandError(f"Redis is not reachable at CELERY_BROKER_URL: {exc}") from None
        self.stdout.write("PostgreSQL and Redis are reachable.")
