"""Fixtures for tests marked ``services``: a real Celery worker on the configured broker,
working on the same test database as the tests (PostgreSQL in `make test-services`)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from ecomops.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]


def database_url_of_test_db() -> str:
    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerProcess:
    """A `celery worker` subprocess that can be started, killed and restarted by a test."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ecomops",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes the pool with it
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited; see {self.log_path}")
            if celery_app.control.ping(timeout=1.0):
                return
        raise RuntimeError(
            f"celery worker did not answer a ping in {timeout}s; see {self.log_path}"
        )

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes: it dies mid-task, as in a crash
        (nothing is acknowledged; Redis re-delivers, and the campaign tick resumes)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real worker on the broker of ``CELERY_BROKER_URL``, sharing the test database."""
    if not settings.CELERY_BROKER_URL:
        pytest.fail(
            "tests marked `services` need CELERY_BROKER_URL (run them with `make test-services`)"
        )
    with django_db_blocker.unblock():
        url = database_url_of_test_db()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "ecomops.settings",
        # Small launch chunks and a short stall time, so a test launch has many chunks
        # and a restarted worker resumes it within seconds (production: 1000 and 300 s).
        "CAMPAIGNS_CHUNK_SIZE": "100",
        "CAMPAIGNS_STALL_SECONDS": "2",
        "CELERY_VISIBILITY_TIMEOUT": "15",
    }
    celery_app.control.purge()
    worker = WorkerProcess(env, tmp_path_factory.mktemp("celery") / "worker.log")
    worker.start()
    yield worker
    worker.stop()
