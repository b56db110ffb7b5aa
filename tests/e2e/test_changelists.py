"""Each app's main changelists at 1,400 px, on the demo data: the key columns fit the page (no table wider
than the window); with `--screenshots`, a picture of each for people to look at."""

import pytest

from .conftest import WIDTH

MAIN_CHANGELISTS = [
    "vault/document",
    "vault/syncstatus",
    "billy/organization",
    "billy/usagemetric",
    "billy/toolauditlog",
    "renos/lead",
    "renos/booking",
    "renos/customer",
    "renos/invoice",
    "renos/quote",
    "crm/deal",
    "crm/contact",
    "crm/company",
    "crm/task",
    "flow/workflow",
    "flow/execution",
    "flow/schedule",
    "shared/user",
    "shared/auditlog",
]
# The columns staff look for first, per list (their header text), that must be on screen.
KEY_COLUMNS = {
    "renos/lead": ["Status", "Priority", "Estimated value", "Customer", "Created"],
    "renos/booking": ["Scheduled", "Status", "Timer", "Customer", "Estimated"],
    "renos/invoice": ["Status", "Total", "Due date", "Customer"],
    "crm/deal": ["Stage", "Status", "Value", "Company"],
    "flow/execution": ["Status", "Duration", "Workflow"],
}


def test_main_changelists_fit_1400_px(demo_page, screenshot):
    page = demo_page
    too_wide, missing = {}, {}
    for changelist in MAIN_CHANGELISTS:
        page.goto(f"/admin/{changelist}/")
        assert page.locator("#result_list tbody tr").count() >= 1, changelist
        screenshot(page, f"changelist-{changelist.replace('/', '-')}")
        widths = page.evaluate(
            """() => ({
                table: document.querySelector('#result_list').getBoundingClientRect().right,
                page: document.documentElement.scrollWidth,
                window: window.innerWidth,
            })"""
        )
        if max(widths["table"], widths["page"]) > widths["window"]:
            too_wide[changelist] = widths
        # Header text as shown (the admin's CSS writes it in capitals).
        headers = [text.strip().upper() for text in page.locator("#result_list thead th").all_inner_texts()]
        absent = [
            name for name in KEY_COLUMNS.get(changelist, []) if not any(name.upper() in h for h in headers)
        ]
        if absent:
            missing[changelist] = (absent, headers)
    assert not too_wide, "\n".join(f"{name}: {widths}" for name, widths in too_wide.items())
    assert not missing, "\n".join(f"{name}: {columns}" for name, columns in missing.items())


@pytest.mark.demo_apps("crm")
def test_the_deal_change_page_fits_1400_px(demo_page, screenshot):
    from crm.models import Deal

    page = demo_page
    deal = Deal.objects.filter(products__isnull=False).first()
    page.goto(f"/admin/crm/deal/{deal.pk}/change/")
    screenshot(page, "change-crm-deal", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
