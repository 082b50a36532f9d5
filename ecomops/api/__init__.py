"""The REST API's shared pieces (authentication, access, errors, pagination, throttling);
each app's resources live in its own ``api`` package and are routed in ``urls.py``."""
