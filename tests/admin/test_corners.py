"""The admin's corners that staff tripped over: the usage link of an organization, "View site"."""

import datetime as dt

from django.utils import timezone

from billy.factories import OrganizationFactory, UsageMetricFactory


def test_an_organizations_usage_link_charts_that_organization(admin_client):
    organization = OrganizationFactory(name="Rendetalje ApS")
    now = timezone.now().astimezone(dt.UTC)
    UsageMetricFactory(organization=organization, date=now.date(), hour=now.hour, call_count=17)
    change = admin_client.get(f"/admin/billy/organization/{organization.pk}/change/").content.decode()
    link = f"/admin/billy/usagemetric/chart/?organization={organization.pk}"
    assert link in change
    page = admin_client.get(link).content.decode()
    assert "Choose an organization" not in page
    assert "<svg" in page and "17" in page


def test_there_is_no_view_site_link(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "View site" not in page
    assert "Times in Europe/Copenhagen" in page
