"""Settings of the test Django project the Go tests share a database with.

The database comes from the environment:
  WAFFLE_DJANGO_DB=sqlite:/path/to/file.db
  WAFFLE_DJANGO_DB=postgres://user:pw@host:port/db?sslmode=disable&search_path=schema
WAFFLE_DJANGO_TIME_ZONE sets TIME_ZONE (default UTC).
"""
import os
from urllib.parse import parse_qs, urlparse

SECRET_KEY = "waffle-go-test-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = os.environ.get("WAFFLE_DJANGO_TIME_ZONE", "UTC")
USE_I18N = False
ALLOWED_HOSTS = ["*"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "waffle",
    "waffle_window",
]

# A cache that keeps nothing: every evaluation reads the database, as the
# Go side does (a real deployment's cache is the caveat in docs/django.md).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

WAFFLE_OVERRIDE = os.environ.get("WAFFLE_DJANGO_OVERRIDE") == "1"


def _database():
    spec = os.environ.get("WAFFLE_DJANGO_DB", "")
    if spec.startswith("sqlite:"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": spec[len("sqlite:"):]}
    if spec.startswith("postgres://") or spec.startswith("postgresql://"):
        u = urlparse(spec)
        q = parse_qs(u.query)
        options = {}
        if "search_path" in q:
            options["options"] = "-c search_path=" + q["search_path"][0]
        if "sslmode" in q:
            options["sslmode"] = q["sslmode"][0]
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": u.path.lstrip("/"),
            "USER": u.username or "",
            "PASSWORD": u.password or "",
            "HOST": u.hostname or "",
            "PORT": str(u.port or ""),
            "OPTIONS": options,
        }
    raise RuntimeError("set WAFFLE_DJANGO_DB to sqlite:<path> or a postgres:// URL")


DATABASES = {"default": _database()}
