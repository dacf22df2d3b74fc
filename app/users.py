"""The user type that services, views and API views name in annotations.

Groundwork keeps Django's own `auth.User` (`AUTH_USER_MODEL` is not overridden), and the
services need more than `AbstractBaseUser` offers: they read `is_staff` and store users in
foreign keys that django-stubs types as `User`. So signatures say `User`, imported from
here; a custom user model later changes this module, not every signature.

`request.user` is `User | AnonymousUser`. Behind `login_required` (pages), the admin, or
`IsAuthenticated` (the API's default permission) it is always a `User`;
`authenticated_user` says so once, checked at run time, instead of a `type: ignore` at
every call.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

__all__ = ["User", "authenticated_user"]


def authenticated_user(user: User | AnonymousUser) -> User:
    """`user` as a `User`; an anonymous user here is a view missing its login check (403)."""
    if not isinstance(user, User):
        raise PermissionDenied("Log in to do this.")
    return user
