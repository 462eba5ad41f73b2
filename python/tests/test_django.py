"""Runs the Django test project (tests/django_project) with Django's own test runner against
the module's spated, in a child interpreter with the project's settings."""

import os
import subprocess
import sys
from pathlib import Path


def test_the_django_project_passes_its_tests(server, tmp_path):
    project = Path(__file__).resolve().parent / "django_project"
    # The pynesis-configured streams name no endpoint: like boto3, they take AWS_* variables.
    env = dict(os.environ, SPATE_TEST_ENDPOINT=server.endpoint, SPATE_TEST_DIR=str(tmp_path),
               PYTHONPATH=str(project), AWS_ENDPOINT_URL=server.endpoint,
               AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="secret",
               AWS_REGION="us-east-1")
    out = subprocess.run([sys.executable, str(project / "manage.py"), "test", "--noinput",
                          "-v", "2", "shop"], cwd=project, env=env, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Ran 6 tests" in out.stderr, out.stderr
