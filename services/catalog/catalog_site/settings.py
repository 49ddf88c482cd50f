"""Django settings for a read-only container: no database, no writable directories."""

from __future__ import annotations

import os
import secrets

DEBUG = False
# Nothing is signed beyond one request; a fixed key can still come from the environment.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(32)
ALLOWED_HOSTS = ["*"]  # the ALB health check sends the task IP as Host
ROOT_URLCONF = "catalog_site.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
USE_I18N = False
USE_TZ = True
APPEND_SLASH = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
