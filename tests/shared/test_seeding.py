"""shared.seeding.built: a demo row made by the app's factory, reproducible from the seed."""

import uuid

from billy.factories import OrganizationFactory, OrganizationUserFactory
from billy.models import OrganizationUser
from shared import crypto
from shared.seeding import SeedContext, built


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
