import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
django_application = get_wsgi_application()

from fapiao.authority.lean import lean  # noqa: E402 - needs Django set up

# the public 查验 endpoint skips Django's request handling; everything else goes through it
application = lean(django_application)
