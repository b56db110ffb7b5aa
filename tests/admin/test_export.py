"""Export of a changelist to CSV and Excel: filters and search applied, view permission needed,
secret columns never exported, rows streamed."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse

from billy.factories import OrganizationFactory
from crm.factories import CompanyFactory, DealFactory
from flow.factories import VariableFactory, WebhookFactory
from shared.services import create_user

DEALS = "/admin/crm/deal/"


def _rows(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_applies_the_changelists_filters_and_search(admin_client):
    # A search word no random (Faker) company or contact name contains
    company = CompanyFactory(name="Zzyzx Rengøring")
    DealFactory(title="Trappevask Zzyzx", company=company, value=Decimal("12000.00"))
    DealFactory(title="Vinduer Zzyzx", company=company, value=Decimal("4500.50"), stage="closed_lost")
    DealFactory(title="Kontor Jensen", value=Decimal("98000.00"))

    response = admin_client.get(f"{DEALS}export/csv/", {"q": "Zzyzx", "status__exact": "open"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="crm-deals-')
    rows = _rows(response)
    assert [row["title"] for row in rows] == ["Trappevask Zzyzx"]
    assert rows[0]["value"] == "12000.00" and rows[0]["company_id"] == str(company.pk)
    # Without filters: every deal.
    assert len(_rows(admin_client.get(f"{DEALS}export/csv/"))) == 3


def test_excel_export_is_a_workbook_of_the_filtered_rows(admin_client):
    DealFactory(title="Trappevask", value=Decimal("12000.00"))
    DealFactory(title="Kontor", value=Decimal("98000.00"))
    response = admin_client.get(f"{DEALS}export/xlsx/", {"q": "Kontor"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:2] == b"PK"  # a zip: the XLSX container
    import zipfile

    sheet = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "Kontor" in sheet and "Trappevask" not in sheet and "98000" in sheet


def test_export_needs_the_view_permission(client, db):
    DealFactory()
    user = create_user(email="nosy@tekup.dk", name="Nosy", password="a-long-test-passw0rd", is_staff=True)
    client.force_login(user)
    assert client.get(f"{DEALS}export/csv/").status_code == 403
    assert client.get(f"{DEALS}export/xlsx/").status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_deal"))
    response = client.get(f"{DEALS}export/csv/")
    assert response.status_code == 200 and len(_rows(response)) == 1
    assert client.get(f"{DEALS}export/pdf/").status_code == 403


def test_export_never_contains_a_secret_column(admin_client):
    organization = OrganizationFactory(name="Rendetalje ApS")
    webhook = WebhookFactory()
    variable = VariableFactory(key="SMTP_PASSWORD", value="plain-hej", is_secret=False)
    cases = [
        ("/admin/billy/organization/", "billy_api_key", organization.billy_api_key),
        ("/admin/flow/webhook/", "secret", webhook.secret),
        ("/admin/flow/variable/", "value", variable.value),
    ]
    for url, column, stored in cases:
        response = admin_client.get(f"{url}export/csv/")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)))
        assert column not in header, url
        assert stored not in text, url
        assert "id" in header


def test_export_links_on_the_changelist_carry_the_filters(admin_client):
    DealFactory()
    page = admin_client.get(DEALS, {"status__exact": "open"}).content.decode()
    assert f'href="{DEALS}export/csv/?status__exact=open"' in page
    assert f'href="{DEALS}export/xlsx/?status__exact=open"' in page


@pytest.mark.parametrize(
    "query",
    [
        "status__exact=open&value__gte=many",
        "created_at__gte=not-a-date",
        "company__id__exact=not-a-uuid",
        "nosuchfield=1",
        "o=99",
    ],
)
def test_a_malformed_filter_shows_the_list_unfiltered_with_a_message(admin_client, query):
    DealFactory(title="Synlig")
    response = admin_client.get(f"{DEALS}?{query}", follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Synlig" in page
    if query != "o=99":  # an unknown sort column is ignored by Django itself, without a message
        assert response.redirect_chain == [(DEALS, 302)]
        assert "was not understood" in page
    export = admin_client.get(f"{DEALS}export/csv/?{query}")
    assert export.status_code in (200, 302)


def test_a_field_marked_encrypted_is_never_exported(admin_client, monkeypatch):
    """shared.fields marks encrypted columns with `encrypted = True`: export leaves any such field out."""
    from crm.models import Company

    CompanyFactory(vat_number="DK12345678")
    monkeypatch.setattr(Company._meta.get_field("vat_number"), "encrypted", True, raising=False)
    response = admin_client.get("/admin/crm/company/export/csv/")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "vat_number" not in next(csv.reader(io.StringIO(text))) and "DK12345678" not in text


def test_an_excel_export_longer_than_a_sheet_is_refused_with_a_message(admin_client, monkeypatch):
    monkeypatch.setattr("shared.admin_export.EXCEL_MAX_ROWS", 2)
    for _ in range(3):
        DealFactory()
    response = admin_client.get(f"{DEALS}export/xlsx/", {"status__exact": "open"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{DEALS}?status__exact=open"
    assert "Excel holds at most 2 rows" in response.content.decode()
