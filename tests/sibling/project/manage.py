#!/usr/bin/env python
"""The sibling project's manage.py: a stand-in for a Tekup service that installs the tekupdb wheel."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sibling_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
