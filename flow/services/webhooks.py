"""Webhooks: the inbound calls that trigger a workflow, their allowed addresses and their secret.

The secret is stored encrypted (shared.crypto); `webhook_secret` decrypts it for checking a signature.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from shared import crypto
from shared import validation as v

from ..models import Webhook, Workflow
from .validation import _workflow


def clean_allowed_ips(*, allowed_ips: list[str] | None) -> list[str]:
    """The addresses and networks, normalised (`10.0.0.0/8`); None is an empty list.

    Raises ValidationError keyed by "allowed_ips": not a list of texts, or an item that is not an IP
    address or network.
    """
    cleaned = []
    for item in v.string_list(allowed_ips or [], name="allowed_ips", max_length=64):
        try:
            cleaned.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValidationError({"allowed_ips": f"'{item}' is not an IP address or network."}) from None
    return cleaned


def create_webhook(
    *,
    workflow: Workflow,
    name: str,
    url: str,
    method: str = Webhook.Method.POST,
    secret: str | None = None,
    allowed_ips: list[str] | None = None,
    is_active: bool = True,
) -> Webhook:
    """Create a webhook that triggers `workflow`. Its secret is stored encrypted and never shown.

    Raises ValidationError keyed by the argument: a workflow that is not saved, a url that is not
    http(s) or is taken, an unknown method, a name or secret outside its column, bad allowed_ips.
    """
    # The inbound path on the Flow service (`/hooks/booking`, as the seed data has) or a full http(s) URL.
    url = v.url(url, name="url", max_length=500, allow_path=True)
    secret = _secret(secret)
    webhook = Webhook(
        workflow=_workflow(workflow),
        name=v.model_field(Webhook, "name", name),
        url=url,
        method=v.choice(
            method.upper() if isinstance(method, str) else method,
            name="method",
            choices=Webhook.Method.values,
        ),
        secret=crypto.encrypt(secret) if secret else None,
        allowed_ips=clean_allowed_ips(allowed_ips=allowed_ips),
        is_active=v.boolean(is_active, name="is_active"),
    )
    return v.save_new(webhook, key="url", unique_message=f"A webhook with url '{url}' already exists.")


def _secret(secret: Any) -> str | None:
    # The general text rules first, so no NUL or lone surrogate reaches the cipher; never repeats the value.
    if secret is None:
        return None
    try:
        secret = v.optional_text(secret, name="secret", max_length=4096, strip=False)
    except ValidationError:
        raise v.invalid("secret", "secret must be text of at most 4096 characters, without NUL.") from None
    # Then the secret's own rules (shared.crypto): no surrounding whitespace or control characters.
    return crypto.validate_secret(secret, name="secret") if secret else None


def set_webhook_secret(*, webhook: Webhook, secret: str | None) -> Webhook:
    """Replace (or, with None, remove) a webhook's secret.

    Raises ValidationError keyed by the argument: a webhook that is not saved, a secret that is not text.
    """
    webhook = v.instance(webhook, name="webhook", model=Webhook)
    secret = _secret(secret)
    webhook.secret = crypto.encrypt(secret) if secret else None
    Webhook.objects.filter(pk=webhook.pk).update(secret=webhook.secret, updated_at=timezone.now())
    return webhook


def webhook_secret(*, webhook: Webhook) -> str | None:
    """The plaintext secret, for verifying a request's signature; never for display.

    Raises ValidationError keyed by "webhook" (not a saved Webhook); shared.crypto.DecryptionError when no
    configured key opens the secret.
    """
    webhook = v.instance(webhook, name="webhook", model=Webhook)
    return crypto.decrypt(webhook.secret) if webhook.secret else None
