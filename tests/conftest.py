import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Serve static files unhashed in tests, so no collectstatic run is needed."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _isolated_cache(settings, worker_id):
    """Each test process gets its own cache key space on the shared Redis."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{worker_id}"}
        for name, config in settings.CACHES.items()
    }
    from django.core.cache import cache

    cache.clear()
