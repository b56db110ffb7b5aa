from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billy.factories import CachedInvoiceFactory, CachedProductFactory, OrganizationFactory, RateLimitFactory
from billy.models import CachedInvoice, RateLimit
from billy.services import get_api_key
from flow.factories import WebhookFactory
from flow.models import Webhook
from flow.services import webhook_secret

NEW_KEY = "q7sbNTYPcrd1m0f3o8mo6f5vcGxbBAhB2zU7fIIzIQw="


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_rotate_billy_keys_is_an_alias_that_rotates_every_encrypted_column(db, settings):
    organization = OrganizationFactory(api_key="the-plaintext-key")
    OrganizationFactory()
    webhook = WebhookFactory()
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY, *settings.TEKUPDB_ENCRYPTION_KEYS]

    dry = run("rotate_billy_keys", "--dry-run")
    assert "billy.organizations.billy_api_key  would re-encrypt 2 of 2" in dry
    assert "flow.webhooks.secret               would re-encrypt 1 of 1" in dry
    output = run("rotate_billy_keys")

    assert "Re-encrypted 3 values; 0 still on older keys." in output
    assert "the-plaintext-key" not in output
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]
    assert get_api_key(organization=organization) == "the-plaintext-key"
    assert webhook_secret(webhook=Webhook.objects.get(pk=webhook.pk)) == "hook-secret"


def test_rotate_billy_keys_fails_when_a_token_cannot_be_opened(db, settings):
    OrganizationFactory()
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]  # the key that sealed the row is gone

    with pytest.raises(CommandError, match="1 values cannot be decrypted with any configured key"):
        run("rotate_billy_keys")


def test_billy_clear_cache_prints_the_counts(organization, clock):
    CachedInvoiceFactory.create_batch(
        2, organization=organization, expires_at=clock.now - timedelta(minutes=1)
    )
    CachedProductFactory(organization=organization, expires_at=clock.now + timedelta(minutes=1))

    assert "Deleted 2 expired cache rows (invoices 2, customers 0, products 0)." in run("billy_clear_cache")
    assert CachedInvoice.objects.count() == 0


def test_billy_prune_deletes_old_windows(organization, clock):
    RateLimitFactory(organization=organization, window_start=clock.now - timedelta(days=40))
    RateLimitFactory(organization=organization, window_start=clock.now - timedelta(days=2))

    assert "Would delete 1 rate-limit windows" in run("billy_prune", "--dry-run")
    assert "Deleted 2 rate-limit windows and 0 usage rows older than 1d." in run(
        "billy_prune", "--older-than", "1d"
    )
    assert not RateLimit.objects.exists()


@pytest.mark.parametrize("age", ["0d", "30", "1w", "-1d", ""])
def test_billy_prune_refuses_a_bad_age(db, age):
    with pytest.raises(CommandError, match="--older-than must be a positive number"):
        run("billy_prune", f"--older-than={age}")
