from django.apps import apps

from shared.apps_base import SchemaAppConfig, schema_apps, schema_names


def test_the_schema_apps_come_from_their_app_configs_shared_first():
    assert schema_names() == ["shared", "vault", "billy", "renos", "crm", "flow"]
    configs = schema_apps()
    assert [config.schema for config in configs] == schema_names()
    assert configs[0].label == "shared" and not isinstance(configs[0], SchemaAppConfig)
    assert all(isinstance(config, SchemaAppConfig) for config in configs[1:])


def test_every_app_with_a_schema_is_listed_and_no_other():
    with_schema = {config.label for config in apps.get_app_configs() if getattr(config, "schema", None)}
    assert {config.label for config in schema_apps()} == with_schema
    assert "tekupdb" not in with_schema and "admin" not in with_schema


def test_the_index_order_puts_the_data_first_and_what_they_share_last():
    assert schema_names(dependencies_first=False) == ["vault", "billy", "renos", "crm", "flow", "shared"]


def test_the_health_check_dashboard_and_admin_index_use_the_same_list(admin_client):
    from operations import health
    from operations.console import dashboard

    assert health.app_schemas() == schema_names()
    assert dashboard.app_schemas() == schema_names(dependencies_first=False)
    response = admin_client.get("/admin/")
    labels = [app["app_label"] for app in response.context["app_list"]]
    assert labels[:6] == ["vault", "billy", "renos", "crm", "flow", "shared"]
