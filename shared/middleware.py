"""The acting user of a request, for the database audit (shared.audit)."""

from __future__ import annotations

from .audit import actor_context


class ActorMiddleware:
    """Writes made while a signed-in user's request is handled are recorded as that user's.

    Placed after AuthenticationMiddleware; the user is looked up lazily, only when a write happens.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        with actor_context(user):
            return self.get_response(request)
