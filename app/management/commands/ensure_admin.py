"""Create the first administrator if there is none, and say how to log in."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an 'admin' superuser (password from ADMIN_PASSWORD or generated) if none exists."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator exists; log in with that account.")
            return
        username = os.environ.get("ADMIN_USERNAME", "admin")
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        note = settings.DATA_DIR / "admin-password.txt"
        note.write_text(f"{username}\n{password}\n")
        note.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(f"Created administrator '{username}' with password: {password}")
            + f"\n(also saved in {note}; change it in the admin)"
        )
