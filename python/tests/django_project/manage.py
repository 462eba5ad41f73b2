#!/usr/bin/env python3
"""The Django project the Python package's tests run (python/tests/test_django.py starts
`manage.py test` against a real spated)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
