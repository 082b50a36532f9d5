import pytest

from ecomops.celery import app as celery_app
from tests.factories import UserFactory

pytest_plugins = ["tests.services"]


@pytest.fixture(autouse=True)
def _celery_eager_unless_services(request):
    """Tests run tasks in-process, except those marked ``services``, which use a real worker."""
    eager = request.node.get_closest_marker("services") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager or previous
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _no_report_cache(settings):
    """Pages compute their reports on every request in tests (tests change data without
    the signals that renew the cache); tests/pages/test_report_cache.py turns it on."""
    settings.PAGES_REPORT_CACHE_SECONDS = 0


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def login_as(client, db):
    """``login_as("manager")`` signs the test client in as that demo user (``admin``,
    ``ops``, ``manager`` or ``analyst``, with their real role groups) and returns it."""
    from campaigns.demo.users import ensure_demo_users

    users = ensure_demo_users()

    def login(username: str):
        client.force_login(users[username])
        return client

    return login
