import pytest

pytestmark = pytest.mark.django_db


# Django warns that connections made from the old DATABASES stay as they were: none is used here, the
# tool reads the setting on each request.
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")
def test_without_a_readonly_database_the_tool_says_it_is_not_configured(sql_client, settings):
    settings.DATABASES = {"default": settings.DATABASES["default"]}

    response = sql_client.get("/admin/sql/")

    assert response.status_code == 503
    assert "The SQL tool is not configured" in response.content.decode()
