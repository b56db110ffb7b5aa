"""A staff member's walk through the admin over the demo data: every schema's page, one list and one
record of each, the audit history of a record they edit, an export of a filtered list, the dashboard."""

import csv
import io

import pytest

# One list per schema, the one staff open first.
FIRST_LISTS = {
    "vault": "document",
    "billy": "organization",
    "renos": "booking",
    "crm": "deal",
    "flow": "execution",
    "shared": "user",
}


def _no_error(page) -> None:
    body = page.locator("body").inner_text()
    assert "Server Error" not in body and "Traceback" not in body and "Database error" not in body


def test_every_schema_one_list_and_one_record(demo_page, screenshot):
    page = demo_page
    for app_label, model in FIRST_LISTS.items():
        page.goto(f"/admin/{app_label}/")
        _no_error(page)
        caption = page.locator(f"div.app-{app_label} caption")
        assert f"schema {app_label}" in caption.inner_text()
        # Name, schema and description each on its own place, not run together.
        assert caption.locator(".schema-description").count() == 1
        screenshot(page, f"app-{app_label}")

        page.locator(f"tr.model-{model} th a").click()
        page.wait_for_url(f"**/admin/{app_label}/{model}/")
        _no_error(page)
        rows = page.locator("#result_list tbody tr")
        assert rows.count() >= 1, f"{app_label}.{model} has no demo rows"

        rows.first.locator("th a, td a").first.click()
        page.wait_for_url(f"**/admin/{app_label}/{model}/*/change/")
        _no_error(page)
        assert page.locator("#content h2, #content h1").count() >= 1
        screenshot(page, f"change-{app_label}-{model}", full_page=True)


@pytest.mark.demo_apps("crm")
def test_the_history_of_an_edited_record(demo_page, screenshot):
    from crm.models import Company

    page = demo_page
    company = Company.objects.order_by("name").first()
    page.goto(f"/admin/crm/company/{company.pk}/change/")
    page.fill("#id_name", f"{company.name} (omdøbt)")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/crm/company/")
    assert "was changed successfully" in page.locator("ul.messagelist").inner_text()

    page.goto(f"/admin/crm/company/{company.pk}/history/")
    _no_error(page)
    history = page.locator("#content").inner_text().lower()
    assert "name" in history and "boss" in history
    screenshot(page, "history-crm-company", full_page=True)


@pytest.mark.demo_apps("renos")
def test_export_a_filtered_list(demo_page):
    from renos.models import Booking

    page = demo_page
    page.goto("/admin/renos/booking/?status__exact=completed")
    with page.expect_download() as download_info:
        page.locator("a[data-export=csv]").click()
    download = download_info.value
    assert download.suggested_filename.startswith("renos-bookings-")
    text = open(download.path(), encoding="utf-8-sig").read()  # noqa: PTH123,SIM115
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == Booking.objects.filter(status="completed").count() > 0
    assert {row["status"] for row in rows} == {"completed"}


def test_the_dashboard(demo_page, screenshot):
    page = demo_page
    page.goto("/admin/")
    _no_error(page)
    assert page.locator("#dashboard-schemas tbody tr").count() == len(FIRST_LISTS)
    # The health table's STATUS header sits on one line.
    header = page.locator("#dashboard-health-checks thead th").nth(1)
    line = page.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight) || 20", header.element_handle())
    assert header.bounding_box()["height"] < 2.5 * line
    assert "View site" not in page.locator("#user-tools").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    screenshot(page, "dashboard-demo", full_page=True)
