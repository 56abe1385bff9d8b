import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.db import DatabaseError
from django.test import Client

from spatheory.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "EMAIL_", "SITE_URL", "CSP_")
        )
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_home_page_renders_the_promise_and_navigation(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Vetted, licensed and insured" in html
    for label, href in [
        ("Services", "/services/"),
        ("Therapists", "/therapists/"),
        ("Journal", "/blog/"),
        ("Book", "/book/"),
    ]:
        assert f'href="{href}">{label}' in html
    assert 'href="#main"' in html
    assert "<main" in html and "<footer" in html
    assert "cdn" not in html.lower()


def test_pages_give_the_business_phone_from_settings(client, settings):
    assert '<a href="tel:+14045550199">(404) 555-0199</a>' in client.get("/").content.decode()

    settings.BUSINESS_PHONE = "(678) 555-0142"

    assert '<a href="tel:+16785550142">(678) 555-0142</a>' in client.get("/").content.decode()


def test_the_500_page_gives_the_business_phone(client, settings, monkeypatch):
    def broken_services():
        raise DatabaseError("connection refused")

    monkeypatch.setattr("spatheory.views.service_list_active", broken_services)
    settings.BUSINESS_PHONE = "(678) 555-0142"
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, something went wrong on our side" in html
    assert '<a href="tel:+16785550142">(678) 555-0142</a>' in html


def test_static_assets_are_served_locally(client):
    html = client.get("/").content.decode()

    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    for asset in ("vendor/bootstrap/bootstrap.min.css", "vendor/htmx/htmx.min.js", "css/site.css"):
        assert (ROOT / "spatheory" / "static" / asset).stat().st_size > 0


def test_htmx_loads_only_where_content_is_swapped_in(client):
    """A phone runs no script a page doesn't use: htmx comes with the booking steps, not with
    the home page, the service list or the journal."""
    assert "/static/vendor/htmx/htmx.min.js" in client.get("/book/").content.decode()
    for path in ("/", "/services/", "/blog/"):
        assert "htmx.min.js" not in client.get(path).content.decode(), path


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("spatheory.views.connection.cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_healthz_is_exempt_from_the_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


def test_unknown_page_uses_the_site_404(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_admin_asks_staff_to_log_in(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_time_zone_is_atlanta_and_stored_in_utc():
    assert settings.TIME_ZONE == "America/New_York"
    assert settings.USE_TZ is True


def test_celery_app_reads_django_settings_and_has_a_beat_schedule():
    assert celery_app.main == "spatheory"
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    assert celery_app.conf.task_acks_late is True
    assert "notifications-sweep" in celery_app.conf.beat_schedule


def test_seed_demo_twice_changes_nothing_the_second_time():
    from django.apps import apps
    from django.core.management import call_command

    def snapshot():
        """Every row of every model, so a re-save (a new updated_at) counts as a change."""
        return {
            model._meta.label: list(model.objects.order_by("pk").values())
            for model in apps.get_models()
            if model._meta.label != "sessions.Session"
        }

    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")

    assert sum(len(rows) for rows in first.values()) > 100
    assert snapshot() == first


def test_embedded_default_uses_sqlite_eager_tasks_and_console_email(tmp_path):
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], "
        "s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.DEBUG)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
        "True",
    ]


def test_production_settings_pass_check_deploy():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        DJANGO_ALLOWED_HOSTS="spatheory.com",
        SITE_URL="https://spatheory.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/db"}, "DATABASE_URL"),
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({"BOOKING_SLOT_STEP_MINUTES": "thirty"}, "BOOKING_SLOT_STEP_MINUTES"),
        ({"DJANGO_SECURE_COOKIES": "sometimes"}, "DJANGO_SECURE_COOKIES"),
        ({"BOOKING_RATE_LIMIT": "lots"}, "BOOKING_RATE_LIMIT"),
        ({"BUSINESS_PHONE": "call us"}, "BUSINESS_PHONE"),
        ({"MEDIA_URL": "https://media.spatheory.com/media"}, "MEDIA_URL"),
        ({"MEDIA_URL": "http://media.spatheory.com/media/"}, "MEDIA_URL"),
        ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "set"}, "SITE_URL"),
        (
            {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "set", "SITE_URL": "http://spatheory.com"},
            "SITE_URL",
        ),
        (
            {
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": "set",
                "DJANGO_SECURE_SSL_REDIRECT": "1",
                "SITE_URL": "http://spatheory.com",
            },
            "SITE_URL",
        ),
        ({"SITE_URL": "spatheory.com"}, "SITE_URL"),
        ({"SITE_URL": "https://spatheory.com/booking"}, "SITE_URL"),
        (
            {"CSP_EXTRA_SCRIPT_SRC": "https://js.example.com,'unsafe-inline'"},
            "CSP_EXTRA_SCRIPT_SRC",
        ),
        (
            {"CSP_EXTRA_CONNECT_SRC": "https://api.example.com; script-src *"},
            "CSP_EXTRA_CONNECT_SRC",
        ),
        ({"CSP_EXTRA_FRAME_SRC": "http://frames.example.com"}, "CSP_EXTRA_FRAME_SRC"),
    ],
)
def test_bad_configuration_fails_at_start_with_one_line_naming_the_variable(env, variable):
    result = manage("check", **env)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]


def test_yes_no_and_numbers_are_read_from_the_environment_and_empty_means_the_default():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CELERY_TASK_ALWAYS_EAGER, s.BOOKING_HORIZON_DAYS, s.TRUSTED_PROXY_COUNT)",
        DJANGO_SECURE_COOKIES="yes",
        CELERY_TASK_ALWAYS_EAGER="Off",
        BOOKING_HORIZON_DAYS=" 45 ",
        TRUSTED_PROXY_COUNT="",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "45", "0"]


PRINT_SITE_URL = "from django.conf import settings as s; print(s.SITE_URL)"


def test_production_links_use_the_https_site_url_it_is_given():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        PRINT_SITE_URL,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="set",
        SITE_URL="https://spatheory.com/",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://spatheory.com"]


def test_the_compose_file_and_the_image_build_start_with_the_site_url_they_give():
    """Compose serves DEBUG=0 over plain HTTP on 127.0.0.1, so its SITE_URL may be http://
    because it turns the HTTPS redirect off; the image's collectstatic step starts the settings
    with DEBUG=0 too."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web = {
        key: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))  # compose's ${NAME:-default}
        for key, value in compose["services"]["web"]["environment"].items()
        if key.startswith(("DJANGO_", "SITE_URL"))
    }
    collectstatic = next(
        line for line in (ROOT / "Dockerfile").read_text().split("RUN ") if "collectstatic" in line
    )
    build = dict(re.findall(r"\b([A-Z_]+)=(\S+)", collectstatic.split("python manage.py")[0]))

    for env in (web, build):
        result = manage("shell", "--no-imports", "-c", PRINT_SITE_URL, **env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == env["SITE_URL"]
    assert web["SITE_URL"] == "http://127.0.0.1:8000"


def test_third_party_origins_are_added_to_the_policy_from_the_environment():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "import json; from django.conf import settings as s; "
        "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']))",
        CSP_EXTRA_SCRIPT_SRC="https://js.example.com, https://*.js.example.com",
        CSP_EXTRA_CONNECT_SRC="https://api.example.com",
        CSP_EXTRA_FRAME_SRC="https://js.example.com",
    )

    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout)
    assert policy["script-src"] == ["'self'", "https://js.example.com", "https://*.js.example.com"]
    assert policy["connect-src"] == ["'self'", "https://api.example.com"]
    assert policy["frame-src"] == ["'self'", "https://js.example.com"]
    assert policy["style-src"] == ["'self'"]


def test_a_buffer_the_database_constraint_does_not_keep_stops_the_process_at_start():
    result = manage("check", BOOKING_MIN_BUFFER_MINUTES="20")

    assert result.returncode != 0
    assert "booking.E001" in result.stderr
    assert "A new migration is needed" in result.stderr


def test_compose_file_runs_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert {"web", "worker", "beat", "db", "redis", "mail", "media"} <= services.keys()
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
        assert environment["DJANGO_DEBUG"] == "0"
    assert "migrate" in services["web"]["command"]
    assert "gunicorn" in services["web"]["command"]
    assert services["web"]["environment"]["DJANGO_SECURE_SSL_REDIRECT"] == "0"
    assert "celery -A spatheory worker" in services["worker"]["command"]
    assert "celery -A spatheory beat" in services["beat"]["command"]
    assert (ROOT / "Dockerfile").exists()


def test_compose_serves_uploads_from_the_volume_web_writes_them_to():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web, media = compose["services"]["web"], compose["services"]["media"]
    mounts = {
        target: (source, mode)
        for source, target, mode in (volume.split(":") for volume in media["volumes"])
    }
    config_file, config_mode = mounts["/etc/nginx/conf.d/default.conf"]
    served = (ROOT / config_file).read_text()
    media_url = urlsplit(web["environment"]["MEDIA_URL"])

    # web writes uploads to MEDIA_ROOT (var/media under the image's /app) on the media volume;
    assert "media" in compose["volumes"]
    assert "media:/app/var/media" in web["volumes"]
    # the media service serves that volume, read-only, with the config kept beside the app;
    assert media["image"].startswith("nginx:")
    assert mounts["/srv/media"] == ("media", "ro")
    assert config_mode == "ro"
    assert f"location {media_url.path} {{" in served
    assert "alias /srv/media/;" in served
    assert 'add_header X-Content-Type-Options "nosniff" always;' in served
    # and pages link uploads at the port it is published on.
    assert (media_url.scheme, media_url.hostname) == ("http", "127.0.0.1")
    assert f"{media_url.port}:80" in media["ports"]


def compose_environment(service: str) -> dict[str, str]:
    """A compose service's environment as compose passes it with nothing set on the host, where
    ``${NAME:-default}`` reads as its default."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return {
        name: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
        for name, value in compose["services"][service]["environment"].items()
    }


def test_compose_settings_link_uploads_at_the_media_service():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; from django.core.files.storage import "
        "default_storage; print(s.DEBUG, default_storage.url('therapists/maya.jpg'), "
        "*s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])",
        **compose_environment("web"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "http://127.0.0.1:8001/media/therapists/maya.jpg",
        "'self'",
        "data:",
        "http://127.0.0.1:8001",
    ]


def test_requirements_pin_exact_versions():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    names = {line.split("==")[0].lower() for line in lines}

    assert all("==" in line for line in lines)
    assert {"django", "django-crispy-forms", "psycopg2-binary", "celery", "redis"} <= names
    assert any(line.startswith("Django==5.2.") for line in lines)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5439/spatheory",
                "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
            },
            "PostgreSQL is not reachable",
        ),
        (
            {
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/spatheory",
                "CELERY_BROKER_URL": "redis://127.0.0.1:6390/0",
            },
            "Redis is not reachable",
        ),
        ({}, "not PostgreSQL"),
    ],
)
def test_the_test_run_stops_loudly_when_a_service_is_missing(env, named):
    result = manage("check_services", **env)

    assert result.returncode != 0
    assert named in result.stderr


def test_the_service_check_passes_when_both_answer():
    result = manage(
        "check_services",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/a_database_not_created_yet",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )

    assert result.returncode == 0, result.stderr
