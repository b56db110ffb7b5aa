"""WSGI entry point for gunicorn: `gunicorn tekupdb.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tekupdb.settings")

application = get_wsgi_application()
