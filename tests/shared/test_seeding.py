"""shared.seeding.built: a demo row made by the app's factory, reproducible from the seed."""

import uuid

import pytest

from billy.factories import OrganizationFactory, OrganizationUserFactory
from billy.models import OrganizationUser
from shared import crypto
from shared.seeding import SeedContext, built, load


def test_the_factory_fills_what_the_demo_leaves_out_and_the_clock_is_left_to_the_loader():
    row = built(OrganizationFactory, billy_organization_id="demo-00001", api_key="demo-key")

    assert row["billy_organization_id"] == "demo-00001"
    assert row["name"]  # the factory's Faker company name
    assert crypto.decrypt(row["billy_api_key"]) == "demo-key"  # the factory's rule: stored encrypted
    assert "api_key" not in row  # a factory parameter, not a column
    assert "created_at" not in row and "updated_at" not in row  # stamped by `load` from the seed


def test_a_parent_given_by_id_is_not_built_again():
    parent = uuid.uuid4()

    row = built(OrganizationUserFactory, organization_id=parent, email="a@billy.example.com")

    assert row["organization"] == parent
    assert row["role"] == OrganizationUser.Role.USER


def test_the_same_seed_gives_the_same_rows():
    def names(seed):
        SeedContext(app="billy", size="small", random_seed=seed)
        return [built(OrganizationFactory, billy_organization_id=f"demo-{i}")["name"] for i in range(5)]

    assert names(7) == names(7)
    assert names(7) != names(8)


def test_rows_with_another_set_of_columns_are_refused_before_anything_is_written(db):
    """`load` takes its columns from the first row: a later row with an extra or a missing column would
    lose that value or fail half-way through a batch."""
    from billy.models import Organization

    ctx = SeedContext(app="billy", size="small", random_seed=1)
    rows = [
        built(OrganizationFactory, id=uuid.uuid4(), billy_organization_id=f"demo-{index}")
        for index in range(3)
    ]
    rows[2]["is_active"] = False

    with pytest.raises(ValueError, match=r"billy.organizations: row 3 has the columns .*is_active"):
        load(ctx, Organization, rows)
    assert not Organization.objects.exists()
