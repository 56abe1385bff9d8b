import contextlib
import uuid
from zoneinfo import ZoneInfo

import kombu.exceptions
import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations
from django.db.migrations.executor import MigrationExecutor

from tests.factories import ModalityFactory, ServiceFactory, TherapistFactory

ATLANTA = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Serve static files unhashed in tests, so no collectstatic run is needed."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own key space on the shared Redis, so tests never see each other's
    entries and nothing needs flushing (keys expire with the cache timeout)."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test databases commit without waiting for the disk (``synchronous_commit=off``):
    a commit is seen by every other connection at once, as before, and only a crash of the
    database server could lose the last few. Transactional tests (the browser, worker and race
    tests, the live server behind them) commit each write, so this saves a disk flush on each."""
    for config in django_settings.DATABASES.values():
        if config["ENGINE"] == "django.db.backends.postgresql":
            options = config.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Passwords hashed with one round of MD5 instead of a million of PBKDF2, so a test that
    signs in (or types ten wrong passwords) spends no seconds hashing; what is checked is the
    same."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sql_flush_by_delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """DELETE FROM each table where PostgreSQL would TRUNCATE them all: a transactional test
    (the browser, worker and race tests) leaves a few rows, which DELETE removes in
    milliseconds, while TRUNCATE makes new files for every table, half a second or more each
    time. Django's foreign keys are DEFERRABLE INITIALLY DEFERRED and flush runs the statements
    in one transaction, so the order of the tables does not matter."""
    if reset_sequences or allow_cascade:
        return _truncate(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    return [f"DELETE FROM {style.SQL_FIELD(self.quote_name(table))};" for table in tables]


_truncate = DatabaseOperations.sql_flush


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", _sql_flush_by_delete)
        yield


@pytest.fixture(autouse=True)
def _two_factor_off(settings):
    """Admin tests sign staff in with ``force_login``, a password's worth of trust, whatever
    DJANGO_DEBUG the suite runs under; tests/test_staff_login.py turns the second factor on."""
    settings.STAFF_REQUIRE_TWO_FACTOR = False


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads land in a folder of the test's own, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def celery_test_queue(worker_id):
    """A queue of this test process's own, so parallel processes sharing the test broker never
    take each other's tasks. Producers route to it as the default queue; the in-process worker
    (``celery_worker`` in tests/booking/conftest.py) consumes only it."""
    from django.conf import settings

    from spatheory.celery import app

    name = f"test-{worker_id}-{uuid.uuid4().hex[:12]}"
    # The web's publisher (spatheory.broker) reads the settings, Celery its own copy.
    previous = settings.CELERY_TASK_DEFAULT_QUEUE, app.conf.task_default_queue
    settings.CELERY_TASK_DEFAULT_QUEUE = app.conf.task_default_queue = name
    app.amqp.queues.select_add(name)
    yield name
    settings.CELERY_TASK_DEFAULT_QUEUE, app.conf.task_default_queue = previous
    if app.conf.broker_url.startswith("redis"):
        with (
            contextlib.suppress(OSError, kombu.exceptions.OperationalError),
            app.connection_for_write() as conn,
        ):
            # Declared again on this channel so kombu knows its bindings and removes them too.
            queue = app.amqp.queues[name].bind(conn.default_channel)
            queue.declare()
            queue.delete()


@pytest.fixture(autouse=True)
def _celery_eager_unless_worker(request, settings, celery_test_queue):
    """Tasks run inline unless the test starts a real worker, so no test leaves messages
    waiting in the broker."""
    from spatheory.celery import app

    previous = app.conf.task_always_eager
    eager = "celery_worker" not in request.fixturenames
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def migrator(transactional_db):
    """A migration executor for data-migration tests; afterwards the database is migrated to
    the latest state again, so the tests that follow see every column."""
    yield MigrationExecutor(connection)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def staff_in():
    """A logged-out staff user in one of the staff groups the migrations create."""
    created = []

    def make(group_name: str):
        user = get_user_model().objects.create_user(
            f"{group_name.lower().replace(' ', '-')}-{len(created)}",
            password="unused-in-tests",
            is_staff=True,
        )
        user.groups.add(Group.objects.get(name=group_name))
        created.append(user)
        return user

    return make


@pytest.fixture
def vetting_client(client, staff_in):
    client.force_login(staff_in("Vetting"))
    return client


@pytest.fixture
def front_desk_client(client, staff_in):
    client.force_login(staff_in("Front desk"))
    return client


@pytest.fixture
def tuesday_morning(time_machine):
    """The clock stopped at 9:00 am on Tuesday, December 1 2026 (TODAY) in Atlanta. Files opt in
    with ``pytest.mark.usefixtures("tuesday_morning")``; a test moves the clock on with
    ``time_machine.move_to``."""
    from tests.booking.helpers import TODAY, at  # that module imports this one

    time_machine.move_to(at(TODAY, 9), tick=False)
    return time_machine


@pytest.fixture
def swedish():
    """Swedish massage: 60 minutes for $125.00 or 90 for $170.00. Nobody gives it until a test
    asks for a therapist too (``maya``)."""
    return ServiceFactory(
        name="Swedish massage",
        slug="swedish",
        modality=ModalityFactory(name="Swedish", slug="swedish"),
        prices={60: "125.00", 90: "170.00"},
    )


@pytest.fixture
def maya(swedish):
    """Maya Okafor (Maya O. to clients), who gives Swedish massage from 9 am to 9 pm every day
    and comes from downtown Atlanta (30303) to anywhere within 25 miles."""
    return TherapistFactory(
        first_name="Maya", last_name="Okafor", modalities=[swedish.modality], hours="all"
    )


@pytest.fixture
def medical():
    """Medical massage, which needs a doctor's referral: 60 minutes for $160.00, given from 9 am
    to 9 pm every day by a therapist of its own."""
    service = ServiceFactory(
        name="Medical massage",
        slug="medical",
        modality=ModalityFactory(name="Medical", slug="medical"),
        prices={60: "160.00"},
        requires_referral=True,
    )
    TherapistFactory(modalities=[service.modality], hours="all")
    return service
