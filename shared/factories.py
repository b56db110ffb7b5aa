"""factory-boy factories of the shared models, for tests and the demo data (`shared.demo`, through
`shared.seeding.built`).

- `UserFactory`: a user with an unusable password ("!", what a plain-SQL insert gets too); tests that
  need a login use `shared.services.create_user`, which hashes a password.
- `AuditLogFactory`: an event as `shared.services.log_event` writes it; `row_change=True` gives the shape
  the audit triggers write (shared.audit): `resource_type` is `<schema_name>.<table_name>`.
"""

import factory
from factory.django import DjangoModelFactory

from .models import AuditLog, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    # RFC 2606: no address a factory makes can reach anyone.
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name", locale="da_DK")
    password = "!"  # Django's mark of an unusable password


class AuditLogFactory(DjangoModelFactory):
    class Meta:
        model = AuditLog

    class Params:
        row_change = factory.Trait(
            action="update",
            schema_name="renos",
            table_name="bookings",
            resource_type=factory.LazyAttribute(lambda o: f"{o.schema_name}.{o.table_name}"),
        )

    action = "create"
    resource_type = "event"
    resource_id = factory.Sequence(str)
    schema_name = ""
    table_name = ""
