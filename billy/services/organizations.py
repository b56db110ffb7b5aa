"""Organizations and their Billy.dk API keys: find, create, rotate the key, read it back.

Secrets: `billy_api_key` is stored as a `shared.crypto` token (AES-GCM). The plaintext only leaves the
package through `get_api_key`; no message, log line or repr built here contains it, and the functions
that take it are marked `sensitive_variables` so that Django's error reports hide it too.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from shared import crypto
from shared import validation as v

from ..models import Organization
from .validation import _organization, _text


def _api_key(value: Any) -> str:
    # The messages never repeat the value: it may be a real key typed into the wrong field. The general
    # text rules (no NUL, no lone surrogate) come first, then the key's own (shared.crypto).
    value = v.text(value, name="billy_api_key", max_length=8192, strip=False)
    value = crypto.validate_secret(value, name="billy_api_key")
    if any(ch.isspace() for ch in value):
        raise ValidationError({"billy_api_key": "billy_api_key must be one word, without spaces."})
    return value


def find_organization(*, billy_organization_id: str) -> Organization | None:
    """The organization with this Billy.dk organization id, or None.

    Raises ValidationError keyed by "billy_organization_id": not non-empty text of at most 255 characters.
    """
    billy_organization_id = _text("billy_organization_id", billy_organization_id)
    return Organization.objects.filter(billy_organization_id=billy_organization_id).first()


@sensitive_variables("billy_api_key")
def create_organization(
    *,
    name: str,
    billy_api_key: str,
    billy_organization_id: str,
    settings: dict | None = None,
) -> Organization:
    """Create an organization; its API key is stored encrypted with the newest configured key.

    Raises ValidationError keyed by the argument: text outside its column, an API key with spaces (its
    value is never repeated), settings that are not a JSON object, a Billy id that is taken.
    """
    name = _text("name", name)
    billy_organization_id = _text("billy_organization_id", billy_organization_id)
    billy_api_key = _api_key(billy_api_key)
    settings = v.json_object(settings, name="settings")
    organization = Organization(
        name=name,
        billy_organization_id=billy_organization_id,
        billy_api_key=crypto.encrypt(billy_api_key),
        settings=settings or {},
    )
    try:
        with transaction.atomic():
            organization.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(
            {
                "billy_organization_id": (
                    f"An organization with Billy id '{billy_organization_id}' already exists."
                )
            }
        ) from None
    return organization


@sensitive_variables("billy_api_key")
def set_api_key(*, organization: Organization, billy_api_key: str) -> Organization:
    """Replace the organization's API key (staff rotating the Billy.dk key); stamps api_key_rotated_at.

    Raises ValidationError keyed by the argument: not a saved Organization, a malformed key.
    """
    organization = _organization(organization)
    token = crypto.encrypt(_api_key(billy_api_key))
    now = timezone.now()
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(
            billy_api_key=token, api_key_rotated_at=now, updated_at=now
        )
    organization.billy_api_key, organization.api_key_rotated_at = token, now
    return organization


@sensitive_variables("plaintext")
def get_api_key(*, organization: Organization) -> str:
    """The organization's API key in plaintext, read fresh from the database.

    Raises `shared.crypto.DecryptionError` (naming the organization, never the key) when no configured
    key can open the token, e.g. a key was removed from TEKUPDB_ENCRYPTION_KEY before rotation.
    Raises ValidationError keyed by "organization": not a saved Organization, or gone.
    """
    organization = _organization(organization)
    token = Organization.objects.filter(pk=organization.pk).values_list("billy_api_key", flat=True).first()
    if token is None:
        raise ValidationError({"organization": "organization no longer exists."})
    try:
        plaintext = crypto.decrypt(token)
    except crypto.DecryptionError as exc:
        raise crypto.DecryptionError(
            f"The API key of organization {organization.billy_organization_id} cannot be decrypted: {exc}"
        ) from None
    return plaintext
