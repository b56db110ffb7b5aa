"""A server without an extension a migration needs: `migrate` stops and names the extension."""

import pytest
from django.core.management.base import CommandError
from django.db import connection

from tekupdb.db.operations import CreateExtension


@pytest.mark.django_db
def test_a_missing_extension_stops_migrate_naming_it_and_what_to_install():
    operation = CreateExtension("tekup_no_such_extension")

    with pytest.raises(CommandError) as stopped, connection.schema_editor() as editor:
        operation.database_forwards("vault", editor, None, None)

    message = str(stopped.value)
    assert "no 'tekup_no_such_extension' extension installed, which the vault app needs" in message
    assert "run migrate again" in message and "DATABASE_URL" in message


@pytest.mark.django_db
def test_pgvector_missing_names_pgvector_and_how_to_get_it(monkeypatch):
    # The server here has pgvector; ask for it under a name it lacks, with vector's own hint.
    from tekupdb.db import operations

    monkeypatch.setitem(
        operations._INSTALL_HINTS, "tekup_vector_elsewhere", operations._INSTALL_HINTS["vector"]
    )
    operation = CreateExtension("tekup_vector_elsewhere")

    expected = r"Install pgvector: .*pgvector/pgvector:pg16"
    with pytest.raises(CommandError, match=expected), connection.schema_editor() as editor:
        operation.database_forwards("vault", editor, None, None)


@pytest.mark.django_db
def test_an_installed_extension_is_created_as_before():
    with connection.schema_editor() as editor:
        CreateExtension("vector").database_forwards("vault", editor, None, None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        assert cursor.fetchone() == (1,)
