"""Fixtures of the SQL tool: users on each side of its door, and saved queries on the read-only alias.

Tests that run SQL are transactional: the read-only alias is a separate session, which sees only
committed rows.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connections

from operations.groups import SQL
from shared.services import create_user

PASSWORD = "a-long-test-passw0rd"


@pytest.fixture
def sql_user(db):
    user = create_user(email="sql@tekup.dk", name="SQL user", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=SQL)[0])
    return user


@pytest.fixture
def sql_client(client, sql_user):
    client.force_login(sql_user)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def saved_query(sql_user):
    from explorer.models import Query

    from operations.console.sqltool import readonly_connection

    def make(sql, title="Users"):
        return Query.objects.create(
            title=title, sql=sql, created_by_user=sql_user, database_connection=readonly_connection()
        )

    return make


@pytest.fixture
def short_statement_timeout():
    """The read-only alias's sessions time out after 300 ms instead of the role's 15 s."""
    options = connections.settings[settings.READONLY_DATABASE].setdefault("OPTIONS", {})
    options["options"] = "-c statement_timeout=300"
    connections[settings.READONLY_DATABASE].close()
    yield
    options.pop("options")
    connections[settings.READONLY_DATABASE].close()
