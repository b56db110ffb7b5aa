import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from billy.models import Organization
from billy.services import (
    create_organization,
    find_organization,
    get_api_key,
    set_api_key,
)
from shared import crypto
from shared.keyring import rotate_encryption_keys

SECRET = "billy-secret-4f9c2a7e"
NEW_KEY = "q7sbNTYPcrd1m0f3o8mo6f5vcGxbBAhB2zU7fIIzIQw="


def test_create_organization_stores_the_key_encrypted_and_get_api_key_decrypts_it(db):
    organization = create_organization(
        name=" Rendetalje ", billy_api_key=SECRET, billy_organization_id="org-1", settings={"vat": 25}
    )

    stored = Organization.objects.get(pk=organization.pk)
    assert (stored.name, stored.settings, stored.is_active) == ("Rendetalje", {"vat": 25}, True)
    assert SECRET not in stored.billy_api_key and stored.billy_api_key.startswith("v1:")
    assert get_api_key(organization=stored) == SECRET


def test_create_organization_refuses_a_duplicate_billy_id_without_naming_the_key(db):
    create_organization(name="A", billy_api_key="other-key", billy_organization_id="org-1")

    with pytest.raises(ValidationError, match="org-1.*already exists") as error:
        create_organization(name="B", billy_api_key=SECRET, billy_organization_id="org-1")
    assert SECRET not in str(error.value)
    assert Organization.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "name must be a non-empty string"),
        ({"billy_organization_id": "  "}, "billy_organization_id must be a non-empty string"),
        ({"billy_api_key": ""}, "billy_api_key must be a non-empty string"),
        ({"billy_api_key": f"{SECRET} and more"}, "without spaces"),
        ({"billy_api_key": f"{SECRET}\x00"}, "billy_api_key contains a NUL character"),
        ({"billy_api_key": f"{SECRET}\x07"}, "billy_api_key must not contain control characters"),
        ({"billy_api_key": f"{SECRET}\n"}, "billy_api_key must not start or end with whitespace"),
        ({"billy_api_key": f" {SECRET}"}, "billy_api_key must not start or end with whitespace"),
        ({"billy_api_key": "k" * 4097}, "billy_api_key must be at most 4096 bytes"),
        ({"billy_api_key": 12345}, "billy_api_key must be a non-empty string"),
        ({"settings": ["not", "a", "dict"]}, "settings must be a dict"),
        ({"settings": {"when": object()}}, "settings is not JSON-serialisable"),
        ({"name": "x" * 256}, "at most 255 characters"),
    ],
)
def test_create_organization_refuses_bad_input(db, fields, message):
    arguments = {"name": "A", "billy_api_key": SECRET, "billy_organization_id": "org-1", **fields}

    with pytest.raises(ValidationError, match=message) as error:
        create_organization(**arguments)
    assert SECRET not in str(error.value)
    assert not Organization.objects.exists()


def test_find_organization_by_billy_id(organization):
    assert find_organization(billy_organization_id="org-rendetalje") == organization
    assert find_organization(billy_organization_id="org-unknown") is None
    with pytest.raises(ValidationError, match="billy_organization_id"):
        find_organization(billy_organization_id="")


def test_repr_and_str_never_show_the_key_or_its_token(db):
    organization = create_organization(name="A", billy_api_key=SECRET, billy_organization_id="org-1")

    for text in (repr(organization), str(organization), repr(Organization.objects.get(pk=organization.pk))):
        assert SECRET not in text and organization.billy_api_key not in text


def test_no_log_line_holds_the_plaintext(db, caplog):
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # log every SQL statement, as DEBUG=True would
    try:
        organization = create_organization(name="A", billy_api_key=SECRET, billy_organization_id="org-1")
        set_api_key(organization=organization, billy_api_key=SECRET + "-2")
        get_api_key(organization=organization)
        rotate_encryption_keys()
    finally:
        connection.force_debug_cursor = False

    assert "organizations" in caplog.text  # the SQL was logged ...
    assert SECRET not in caplog.text  # ... but never the key


def test_set_api_key_replaces_the_key_and_stamps_the_rotation(organization, clock):
    clock.advance(days=3)

    set_api_key(organization=organization, billy_api_key=SECRET)

    stored = Organization.objects.get(pk=organization.pk)
    assert stored.api_key_rotated_at == clock.now
    assert get_api_key(organization=stored) == SECRET
    with pytest.raises(ValidationError, match="billy_api_key"):
        set_api_key(organization=organization, billy_api_key=" ")


def test_get_api_key_reads_the_current_key_not_a_stale_instance(organization):
    stale = Organization.objects.get(pk=organization.pk)
    set_api_key(organization=organization, billy_api_key=SECRET)

    assert get_api_key(organization=stale) == SECRET


def test_get_api_key_names_the_organization_when_the_key_was_removed(organization, settings):
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(crypto.DecryptionError, match="org-rendetalje.*cannot be decrypted"):
        get_api_key(organization=organization)


def test_get_api_key_refuses_an_unsaved_organization(db):
    with pytest.raises(ValidationError, match="saved Organization"):
        get_api_key(organization=Organization(name="x"))


def test_plain_sql_insert_of_the_listed_columns_gets_the_defaults(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO "billy"."organizations" (name, billy_api_key, billy_organization_id)
               VALUES ('SQL', 'v1:x:y', 'org-sql')"""
        )

    stored = Organization.objects.get(billy_organization_id="org-sql")
    assert stored.settings == {} and stored.is_active and stored.api_key_rotated_at is not None
