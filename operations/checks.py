"""System checks for the one-schema-per-app layout.

Django's own check (models.E028) compares `db_table` strings; these compare the physical table that
PostgreSQL will use, so `'vault"."documents'` and `'VAULT"."documents'` (unquoted parts fold to lower
case) count as the same, and they hold each schema app to its own schema.
"""

from collections import defaultdict

from django.apps import apps
from django.core import checks
from django.db.backends.utils import split_identifier


def physical_table(db_table: str) -> tuple[str, str]:
    """(schema, table) as PostgreSQL resolves them; '' for the schema of an unqualified table."""
    schema, table = split_identifier(db_table)
    return schema.lower(), table


def _managed_models(models=None):
    for model in models if models is not None else apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            yield model


@checks.register(checks.Tags.models)
def check_unique_tables(app_configs=None, models=None, **kwargs):
    owners = defaultdict(list)
    for model in _managed_models(models):
        owners[physical_table(model._meta.db_table)].append(model._meta.label)
    errors = []
    for (schema, table), labels in sorted(owners.items()):
        if len(labels) > 1:
            where = f"{schema}.{table}" if schema else table
            errors.append(
                checks.Error(
                    f"Table {where} is used by more than one model: {', '.join(sorted(labels))}.",
                    hint="Give each model its own table (db_table = '<schema>\".\"<table>').",
                    id="tekupdb.E001",
                )
            )
    return errors


@checks.register(checks.Tags.models)
def check_tables_in_own_schema(app_configs=None, models=None, **kwargs):
    """An app that declares `schema` on its AppConfig keeps every table in that schema."""
    errors = []
    for model in _managed_models(models):
        owner = getattr(model._meta.app_config, "schema", None)
        if owner is None:
            continue
        schema, _ = physical_table(model._meta.db_table)
        if schema != owner:
            errors.append(
                checks.Error(
                    f"{model._meta.label} has db_table {model._meta.db_table!r}, outside the "
                    f"schema '{owner}' that app '{model._meta.app_label}' owns.",
                    hint=f"Use db_table = '{owner}\".\"<table>'.",
                    obj=model,
                    id="tekupdb.E002",
                )
            )
    return errors
