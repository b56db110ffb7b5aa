"""The admin in a real browser: log in, the schemas, search, edit and its audit entry, similar
documents, and a screenshot of the dashboard."""

from shared.models import AuditLog
from shared.services import create_user
from vault.factories import DocumentFactory, EmbeddingFactory

from .conftest import ARTIFACTS, PASSWORD

SCHEMA_APPS = ["vault", "billy", "renos", "crm", "flow", "shared"]


def test_dashboard_after_login(new_page, live_server, superuser):
    """The login form, walked as staff do (the other tests log in by their session cookie)."""
    page = new_page(at="/admin/login/")
    page.fill("#id_username", superuser.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.title() == "Schemas | Tekup Database"
    assert page.locator("#site-name").inner_text() == "Tekup Database"
    assert page.locator("#dashboard-size .figure").inner_text().strip() != ""
    assert page.locator("#dashboard-versions").inner_text().startswith("pgvector")
    assert page.locator("#dashboard-schemas tbody tr").count() == len(SCHEMA_APPS)
    assert page.locator("svg.tekup-chart").count() >= 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "dashboard.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_each_schema_has_its_page(page):
    # The index once (its dashboard makes it the slowest page), then each schema's link from it.
    page.goto("/admin/")
    links = {}
    for app_label in SCHEMA_APPS:
        caption = page.locator(f"div.app-{app_label} caption")
        assert f"schema {app_label}" in caption.text_content()
        links[app_label] = caption.locator("a.section").get_attribute("href")
    opened = []
    for app_label, link in links.items():
        page.goto(link)
        assert page.url.endswith(f"/admin/{app_label}/")
        assert page.locator(f"#content-main div.app-{app_label} table tbody tr").count() >= 1
        opened.append(app_label)
    assert opened == SCHEMA_APPS


def test_search_a_changelist(page):
    create_user(email="anna.berg@tekup.dk", name="Anna Berg")
    create_user(email="bo.olsen@tekup.dk", name="Bo Olsen")

    page.goto("/admin/shared/user/")
    page.fill("#searchbar", "berg")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**/admin/shared/user/?q=berg")

    emails = page.locator("#result_list tbody th a").all_inner_texts()
    assert emails == ["anna.berg@tekup.dk"]


def test_edit_a_record_and_find_its_audit_entry(page):
    user = create_user(email="carl@tekup.dk", name="Carl")

    page.goto(f"/admin/shared/user/{user.pk}/change/")
    page.fill("#id_name", "Carl Hansen")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/shared/user/")
    assert "was changed successfully" in page.locator("ul.messagelist").inner_text()

    page.goto("/admin/shared/auditlog/")
    page.fill("#searchbar", str(user.pk))
    page.press("#searchbar", "Enter")
    page.wait_for_url(lambda url: f"q={user.pk}" in url)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2  # the insert (create_user) and the admin's update
    assert "update" in rows.first.inner_text() and "boss@tekup.dk" in rows.first.inner_text()
    rows.first.locator("th a").click()
    # wait for the whole change page (the "load" event): a locator can otherwise meet a half-parsed page
    page.wait_for_url(lambda url: "/admin/shared/auditlog/" in url and "/change/" in url)
    changes = page.locator(".field-changes_table .readonly").inner_text()
    assert "Carl" in changes and "Carl Hansen" in changes and '"before"' not in changes  # a table, not JSON
    assert page.locator(".field-object_link a").inner_text().endswith(str(user.pk))
    newest = AuditLog.objects.filter(resource_id=str(user.pk)).first()
    assert (newest.action, newest.actor) == ("update", "boss@tekup.dk")


def test_similar_documents_of_a_document(page):
    documents = [DocumentFactory(path=f"docs/note-{i}.md") for i in range(3)]
    for seed, document in enumerate(documents):
        EmbeddingFactory(document=document, embedding=_unit_vector(seed))

    page.goto(f"/admin/vault/document/{documents[0].pk}/change/")
    page.get_by_role("link", name="by this document").click()
    page.wait_for_url(f"**/admin/vault/document/{documents[0].pk}/similar/")

    assert "Documents similar to" in page.locator("h1").inner_text()
    body = page.locator("#content").inner_text()
    assert "docs/note-1.md" in body and "docs/note-2.md" in body


def _unit_vector(seed: int) -> list[float]:
    from vault.factories import random_unit_vector

    return random_unit_vector(seed)
