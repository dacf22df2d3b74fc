"""Create an API token for a user and print it (the only time it is shown)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.services.tokens import create_api_token


class Command(BaseCommand):
    help = "Create an API token for USER and print it on stdout (nothing else is printed there)."
    requires_system_checks: list[str] = []  # no need to import the whole site (and torch)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="Create the user (without a password: it can log in only with tokens) if missing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        user = users.objects.filter(username=options["username"]).first()
        if user is None:
            if not options["create_user"]:
                raise CommandError(f"no user {options['username']!r} (pass --create-user to create one)")
            user = users.objects.create_user(username=options["username"], password=None)
            self.stderr.write(f"Created user {user.get_username()!r}.")
        _, key = create_api_token(user, options["name"])
        self.stdout.write(key)
