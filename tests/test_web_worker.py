"""What a gunicorn web worker holds: the libraries only rare paths use are imported on first
use, and the master loads the rest once, before forking, for the workers to share."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Imported by the code that needs them: payments (stripe), texts (twilio), calendar files
# (icalendar), uploads (PIL), an article's save (markdown, nh3). zipcodes builds the zip tables
# (therapists/data/) and is never imported by the site.
RARE_PATH_LIBRARIES = {"stripe", "twilio", "icalendar", "PIL", "markdown", "nh3", "zipcodes"}
# Only the workers run tasks; the web queues them through spatheory.broker.
WORKER_LIBRARIES = {"celery", "kombu", "billiard", "amqp"}


def fresh_interpreter(code: str, env: dict | None = None) -> dict:
    """``code``'s printed JSON, run in a new interpreter with the embedded default settings
    (and the variables in ``env``)."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "EMAIL_", "SITE_URL"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "spatheory.settings", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_the_app_and_its_url_patterns_load_no_library_only_rare_paths_use():
    loaded = fresh_interpreter(
        "import json, sys; import spatheory.wsgi, spatheory.urls; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )

    assert RARE_PATH_LIBRARIES.isdisjoint(loaded)
    assert WORKER_LIBRARIES.isdisjoint(loaded)
    assert {"django", "ninja", "booking"} <= set(loaded)


def test_the_gunicorn_master_loads_url_patterns_and_template_tags_before_forking():
    state = fresh_interpreter(
        "import gc, json, runpy, sys, types; import spatheory.wsgi; "
        "conf = runpy.run_path('gunicorn.conf.py'); "
        "before = {'api': 'booking.api' in sys.modules, "
        "'tags': 'crispy_forms.templatetags.crispy_forms_tags' in sys.modules}; "
        "server = types.SimpleNamespace(cfg=types.SimpleNamespace(preload_app=True)); "
        "conf['when_ready'](server); "
        "print(json.dumps({'preload': conf['preload_app'], 'before': before, "
        "'api': 'booking.api' in sys.modules, "
        "'tags': 'crispy_forms.templatetags.crispy_forms_tags' in sys.modules, "
        "'frozen': gc.get_freeze_count()}))"
    )

    assert state["preload"] is True
    assert state["before"] == {"api": False, "tags": False}
    assert state["api"] and state["tags"]
    assert state["frozen"] > 0
