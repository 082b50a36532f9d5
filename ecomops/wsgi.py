import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings")
application = get_wsgi_application()

# Load every view now (and with them pandas, numpy, scipy), then move all these
# long-lived objects out of the garbage collector's way: without this, a full
# collection walks them every few requests and pauses a report page for ~150 ms.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
