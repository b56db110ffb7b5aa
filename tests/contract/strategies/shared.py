"""Argument strategies of `shared.services`."""

from __future__ import annotations

from hypothesis import strategies as st

from .base import EMAIL, JSON_OBJECT, maybe, slug, spec, words


@spec("shared.services.create_user")
def _(w):
    return {
        "email": EMAIL,
        "name": words(),
        "password": maybe(st.just("a-long-test-passw0rd-ÆØÅ")),
        "is_staff": st.booleans(),
    }


@spec("shared.services.log_event")
def _(w):
    return {
        "action": words(),
        "resource_type": slug(),
        "resource_id": slug(),
        "user": maybe(st.just(w.user)),
        "metadata": maybe(JSON_OBJECT),
    }


@spec("shared.services.user_by_email")
def _(w):
    return {"email": st.just(w.user).map(lambda user: user.email) | EMAIL}


@spec("shared.services.audit_trail")
def _(w):
    return {
        "instance": maybe(st.just(w.user)),
        "model": st.none(),
        "pk": st.none(),
        "limit": st.integers(1, 200),
    }
