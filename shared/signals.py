"""Framework hooks of the shared app: django-axes' lockout goes into the audit. Connected by
SharedConfig.ready() only when "axes" is in INSTALLED_APPS: a sibling may install `shared` without it,
so nothing here imports axes until then."""

from __future__ import annotations

from .services import log_event


def connect_lockout_audit() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(record_lockout, dispatch_uid="tekup-audit-login-locked")


def record_lockout(sender, request, username, ip_address, **kwargs):
    """A login locked out by django-axes (and each attempt refused while locked): one audit event
    naming the username and the address."""
    log_event(
        action="login.locked",
        resource_type="shared.user",
        resource_id=username or "",
        metadata={"username": username, "ip_address": ip_address},
    )
