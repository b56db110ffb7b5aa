from decimal import Decimal

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from crm import factories
from crm.models import Deal, DealProduct

MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "crm"), key=lambda m: m.__name__
)


def test_deal_search_finds_by_company(admin_client):
    deal = factories.DealFactory(
        title="Trappevask", company=factories.CompanyFactory(name="Boligselskabet Østkvarteret")
    )
    # A Faker name could contain any short word; the search term is one no generated name has.
    factories.DealFactory(title="Andet")

    response = admin_client.get(reverse("admin:crm_deal_changelist"), {"q": "Østkvarteret"})

    assert list(response.context["cl"].result_list) == [deal]


def test_pipeline_page_shows_count_and_value_per_stage(admin_client):
    factories.DealFactory(title="Stor aftale", value=Decimal("12000.00"))
    factories.DealFactory(title="Lille aftale", value=Decimal("500.00"))
    factories.DealFactory(title="Vundet", stage="closed_won", value=Decimal("900.00"))

    changelist = admin_client.get(reverse("admin:crm_deal_changelist"))
    response = admin_client.get(reverse("admin:crm_deal_pipeline"))

    assert reverse("admin:crm_deal_pipeline") in changelist.content.decode()
    assert response.status_code == 200
    stages = {entry.stage: (entry, deals) for entry, deals in response.context["stages"]}
    qualification, deals = stages["qualification"]
    assert (qualification.count, qualification.value) == (2, {"DKK": Decimal("12500.00")})
    assert [deal.title for deal in deals] == ["Stor aftale", "Lille aftale"]
    assert [deal.title for deal in stages["closed_won"][1]] == ["Vundet"]
    html = response.content.decode()
    assert "Stor aftale" in html and "12500.00" in html


def test_pipeline_page_needs_staff(client, db):
    response = client.get(reverse("admin:crm_deal_pipeline"))

    assert response.status_code == 302 and "/login/" in response.url


def test_close_as_won_and_reopen_actions_call_the_services(admin_client):
    open_deal = factories.DealFactory()
    url = reverse("admin:crm_deal_changelist")

    admin_client.post(url, {"action": "move_to_closed_won", "_selected_action": [open_deal.pk]})
    open_deal.refresh_from_db()
    assert (open_deal.status, open_deal.actual_close_date) == ("won", timezone.localdate())

    response = admin_client.post(
        url, {"action": "move_to_proposal", "_selected_action": [open_deal.pk]}, follow=True
    )
    assert "reopen it with reopen_deal" in response.content.decode()
    admin_client.post(url, {"action": "reopen", "_selected_action": [open_deal.pk]})
    open_deal.refresh_from_db()
    assert (open_deal.stage, open_deal.status, open_deal.actual_close_date) == ("negotiation", "open", None)


def test_adding_a_deal_with_products_computes_status_and_line_totals(admin_client):
    company = factories.CompanyFactory()
    prefix = "products"
    response = admin_client.post(
        reverse("admin:crm_deal_add"),
        {
            "title": "Ny kunde",
            "value": "3000.00",
            "currency": "DKK",
            "stage": "closed_won",
            "pipeline": "sales",
            "company": company.pk,
            "owner": "sales@tekup.dk",
            "tags": "",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-product_name": "Hovedrengøring",
            f"{prefix}-0-quantity": "3",
            f"{prefix}-0-unit_price": "499.95",
            f"{prefix}-0-discount": "10",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    deal = Deal.objects.get(title="Ny kunde")
    assert (deal.status, deal.actual_close_date, deal.probability) == ("won", timezone.localdate(), 100)
    assert DealProduct.objects.get(deal=deal).total == Decimal("1349.87")


def test_stage_of_an_existing_deal_is_read_only(admin_client):
    deal = factories.DealFactory()

    response = admin_client.get(reverse("admin:crm_deal_change", args=[deal.pk]))

    assert "stage" not in response.context["adminform"].form.fields


def test_pipeline_page_queries_do_not_grow_with_deals(admin_client, django_assert_max_num_queries):
    url = reverse("admin:crm_deal_pipeline")
    factories.DealFactory()
    admin_client.get(url)  # session and user lookups warm up

    factories.DealFactory.create_batch(15, stage="proposal")
    with django_assert_max_num_queries(6):
        response = admin_client.get(url, {"pipeline": "sales"})

    assert len(dict((entry.stage, deals) for entry, deals in response.context["stages"])["proposal"]) == 15
