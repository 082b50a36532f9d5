"""Settings of the server the browser tests start: the project's own, with the static files
collected into a throw-away directory (``BROWSER_STATIC_ROOT``), so the run proves that
whitenoise serves what ``collectstatic`` gathered — Chart.js included — and nothing comes
from a CDN."""

import os

from ecomops.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BROWSER_STATIC_ROOT"]
