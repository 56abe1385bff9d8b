import psycopg2
import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "Fail loudly unless the configured PostgreSQL and Redis both answer."

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(f"DATABASE_URL points at {connection.vendor}, not PostgreSQL.")
        # The server must answer; the database itself may not exist yet (the test run creates
        # its own), so ask the server's maintenance database.
        params = {**connection.get_connection_params(), "dbname": "postgres"}
        try:
            psycopg2.connect(**params, connect_timeout=3).close()
        except psycopg2.Error as exc:
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
