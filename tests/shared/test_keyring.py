"""Key rotation over every encrypted column (shared.keyring, manage.py rotate_encryption_keys)."""

import logging
import re
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from billy.factories import OrganizationFactory
from billy.models import Organization
from billy.services import get_api_key
from flow import services as flow
from flow.factories import WorkflowFactory
from flow.models import Variable, Webhook
from shared import crypto
from shared.keyring import rotate_encryption_keys, stale_counts
from tests.support.concurrency import Worker, wait_for_lock_waiters

OLD_KEY = "n4Hq9mJ0l2V5c8xZ1aB3dE6fG7hI0jK2lM4nO6pQ8rA="
NEW_KEY = "q7sbNTYPcrd1m0f3o8mo6f5vcGxbBAhB2zU7fIIzIQw="
COLUMNS = ["billy.organizations.billy_api_key", "flow.webhooks.secret", "flow.variables.value"]
SECRETS = {"billy-one": "billy-key-0001", "billy-two": "billy-key-0002", "hook": "hook-secret-77"}


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def secrets_under_old_key(settings):
    """Two organizations, a webhook, a secret and a plain variable, all written under OLD_KEY alone."""
    settings.TEKUPDB_ENCRYPTION_KEYS = [OLD_KEY]
    first = OrganizationFactory(api_key=SECRETS["billy-one"])
    second = OrganizationFactory(api_key=SECRETS["billy-two"])
    workflow = WorkflowFactory()
    hook = flow.create_webhook(workflow=workflow, name="Hook", url="/hooks/a", secret=SECRETS["hook"])
    token = flow.set_variable(key="smtp_password", value="smtp-pw-55", is_secret=True, workflow=workflow)
    plain = flow.set_variable(key="greeting", value="v1:looks-like-a-token", workflow=workflow)
    return first, second, hook, token, plain


def assert_every_secret_readable(first, second, hook, token, plain):
    assert get_api_key(organization=first) == SECRETS["billy-one"]
    assert get_api_key(organization=second) == SECRETS["billy-two"]
    assert flow.webhook_secret(webhook=Webhook.objects.get(pk=hook.pk)) == SECRETS["hook"]
    assert flow.variable_value(variable=Variable.objects.get(pk=token.pk)) == "smtp-pw-55"
    # A plain variable is no secret, even when its text starts like a token: rotation leaves it alone.
    assert Variable.objects.get(pk=plain.pk).value == "v1:looks-like-a-token"


def test_full_rotation_over_billy_and_flow_then_the_old_key_is_dropped(db, settings):
    rows = secrets_under_old_key(settings)
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # prepend, deploy

    dry = rotate_encryption_keys(dry_run=True)
    assert [(c.column, c.stale, c.reencrypted) for c in dry.columns] == [
        ("billy.organizations.billy_api_key", 2, 2),
        ("flow.webhooks.secret", 1, 1),
        ("flow.variables.value", 1, 1),
    ]
    assert stale_counts() == dict.fromkeys(COLUMNS, 1) | {COLUMNS[0]: 2}  # the dry run wrote nothing

    report = rotate_encryption_keys()  # rotate

    assert (report.reencrypted, report.remaining, report.undecryptable) == (4, 0, 0)
    assert stale_counts() == dict.fromkeys(COLUMNS, 0)  # check
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]  # drop
    assert_every_secret_readable(*rows)
    assert rotate_encryption_keys().reencrypted == 0


def test_the_command_reports_per_column_and_never_prints_a_secret(db, settings, capsys, caplog):
    secrets_under_old_key(settings)
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # log every SQL statement, as DEBUG=True would
    try:
        dry = run("rotate_encryption_keys", "--dry-run")
        output = run("rotate_encryption_keys", "--batch-size", "1")
        again = run("rotate_encryption_keys")
    finally:
        connection.force_debug_cursor = False

    assert re.search(r"^flow\.variables\.value +would re-encrypt 1 of 1$", dry, re.M)
    assert re.search(
        r"^billy\.organizations\.billy_api_key +re-encrypted 2 of 2; 0 still on older keys$", output, re.M
    )
    assert re.search(r"^flow\.webhooks\.secret +re-encrypted 1 of 1; 0 still on older keys$", output, re.M)
    assert "Re-encrypted 4 values; 0 still on older keys." in output
    assert "Re-encrypted 0 values; 0 still on older keys." in again
    shown = dry + output + again + capsys.readouterr().out + caplog.text
    assert 'UPDATE "flow"."variables"' in caplog.text  # the statements were logged ...
    for secret in [*SECRETS.values(), "smtp-pw-55", NEW_KEY, OLD_KEY]:
        assert secret not in shown


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_rotation_keeps_what_it_did_and_a_rerun_finishes(settings):
    rows = secrets_under_old_key(settings)
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    def interrupt_after_the_third_row(column, done, total):
        interrupt_after_the_third_row.rows += 1
        if interrupt_after_the_third_row.rows == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, between two rows

    interrupt_after_the_third_row.rows = 0
    with pytest.raises(KeyboardInterrupt):
        rotate_encryption_keys(batch_size=2, progress=interrupt_after_the_third_row)

    # Each row was its own transaction: three are committed under the new key, one is still old, and
    # every one of them is readable with the two keys configured.
    assert sum(stale_counts().values()) == 1
    assert_every_secret_readable(*rows)

    report = rotate_encryption_keys()

    assert (report.reencrypted, report.remaining) == (1, 0)
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]
    assert_every_secret_readable(*rows)


def test_a_value_no_key_opens_is_counted_left_alone_and_fails_the_command(db, settings):
    settings.TEKUPDB_ENCRYPTION_KEYS = [OLD_KEY]
    lost = OrganizationFactory(api_key="lost-key-1")
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]  # OLD_KEY dropped before rotating
    kept = OrganizationFactory(api_key="kept-key-2")
    token = Organization.objects.get(pk=lost.pk).billy_api_key

    report = rotate_encryption_keys()

    assert report.columns[0].undecryptable == 1 and report.columns[0].remaining == 1
    assert Organization.objects.get(pk=lost.pk).billy_api_key == token  # untouched, not destroyed
    assert get_api_key(organization=kept) == "kept-key-2"
    with pytest.raises(CommandError, match="1 values cannot be decrypted with any configured key") as error:
        run("rotate_encryption_keys", "--dry-run")
    assert "lost-key-1" not in str(error.value)


@pytest.mark.django_db(transaction=True)
def test_a_key_set_while_rotation_waits_for_the_row_is_not_overwritten(settings):
    from billy.services import set_api_key

    organization = secrets_under_old_key(settings)[0]
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    locked, release = threading.Event(), threading.Event()

    def staff_sets_a_new_key():
        # Staff's change holds the row while rotation reaches it; it commits only once rotation waits.
        with transaction.atomic():
            Organization.objects.select_for_update().get(pk=organization.pk)
            locked.set()
            assert release.wait(30)
            set_api_key(organization=organization, billy_api_key="fresh-key-9")

    staff = Worker(staff_sets_a_new_key)
    staff.start()
    assert locked.wait(30)
    rotation = Worker(rotate_encryption_keys)
    rotation.start()
    wait_for_lock_waiters(1)  # rotation is blocked on the locked row
    release.set()
    staff.outcome()
    rotation.outcome()

    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]
    assert get_api_key(organization=organization) == "fresh-key-9"
    assert sum(stale_counts().values()) == 0


def test_rotation_refuses_a_bad_batch_size(db):
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run("rotate_encryption_keys", "--batch-size", "0")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        rotate_encryption_keys(batch_size=0)


def test_no_key_configured_is_a_command_error(db, settings):
    settings.TEKUPDB_ENCRYPTION_KEYS = []

    with pytest.raises(CommandError, match="TEKUPDB_ENCRYPTION_KEY is not set"):
        run("rotate_encryption_keys")


def test_token_shape_helpers(settings):
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    token = crypto.encrypt("x")

    assert crypto.is_token(token) and not crypto.is_token("plain") and not crypto.is_token(None)
    assert crypto.key_id_of(token) == crypto.current_key_id() == crypto.key_ids()[0]
    assert crypto.key_id_of("plain") is None
