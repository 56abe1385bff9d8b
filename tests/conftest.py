import uuid

import pytest


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
