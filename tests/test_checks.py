from django.db import models
from django.test.utils import isolate_apps

from operations.checks import check_tables_in_own_schema, check_unique_tables


def test_project_passes_its_own_checks():
    assert check_unique_tables() == []
    assert check_tables_in_own_schema() == []


@isolate_apps("vault", "billy")
def test_two_apps_on_the_same_table_fail_naming_both():
    class Document(models.Model):
        class Meta:
            app_label = "vault"
            db_table = 'vault"."documents'

    class Copy(models.Model):
        class Meta:
            app_label = "billy"
            db_table = 'VAULT"."documents'  # unquoted case folds: the same physical table

    errors = check_unique_tables(models=[Document, Copy])

    assert [e.id for e in errors] == ["tekupdb.E001"]
    assert "vault.Document" in errors[0].msg and "billy.Copy" in errors[0].msg


@isolate_apps("billy")
def test_a_table_outside_its_apps_schema_fails():
    class Stray(models.Model):
        class Meta:
            app_label = "billy"
            db_table = 'vault"."stray'

    errors = check_tables_in_own_schema(models=[Stray])

    assert [e.id for e in errors] == ["tekupdb.E002"]
    assert "billy.Stray" in errors[0].msg and "'billy'" in errors[0].msg
