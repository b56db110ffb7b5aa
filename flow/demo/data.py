"""The flow demo's fixed vocabulary: the RenOS automations (blueprints), regions, errors, integrations and
global variables, and the demo secrets drawn from the seed."""

from __future__ import annotations

from flow import models
from shared.seeding import SeedContext


def node(node_id: str, node_type: str, name: str) -> dict:
    return {"id": node_id, "type": node_type, "name": name}


# name, trigger, nodes after the trigger node, cron or interval (for scheduled ones)
BLUEPRINTS = [
    (
        "Bookingbekræftelse",
        {"type": "webhook", "event": "booking.created"},
        [
            node("hent_kunde", "database", "Hent kunde"),
            node("send_mail", "email", "Send bekræftelse"),
            node("kalender", "google_calendar", "Opret kalenderaftale"),
        ],
        None,
    ),
    (
        "Fakturapåmindelse",
        {"type": "schedule"},
        [
            node("find_forfaldne", "database", "Find forfaldne fakturaer"),
            node("send_rykker", "email", "Send påmindelse"),
            node("billy_note", "billy", "Noter i Billy"),
        ],
        "0 9 * * 1-5",
    ),
    (
        "Nyt lead fra hjemmesiden",
        {"type": "webhook", "event": "lead.created"},
        [
            node("score", "ai", "Vurder lead"),
            node("slack", "slack", "Giv salg besked"),
            node("tilbud", "email", "Send tilbud"),
        ],
        None,
    ),
    (
        "Billy-synkronisering",
        {"type": "schedule"},
        [
            node("hent_fakturaer", "billy", "Hent fakturaer"),
            node("opdater_cache", "database", "Opdater cache"),
        ],
        15,
    ),
    (
        "Ugentlig rapport",
        {"type": "schedule"},
        [
            node("saml_tal", "database", "Saml ugens tal"),
            node("lav_pdf", "pdf", "Lav rapport"),
            node("mail_ledelse", "email", "Send til ledelsen"),
        ],
        "0 7 * * 1",
    ),
    (
        "Opfølgning på tilbud",
        {"type": "schedule"},
        [
            node("find_tilbud", "database", "Find ubesvarede tilbud"),
            node("opfoelg", "email", "Send opfølgning"),
        ],
        "30 10 * * *",
    ),
    (
        "Kundetilfredshed efter rengøring",
        {"type": "event", "event": "booking.completed"},
        [node("vent", "delay", "Vent et døgn"), node("sms", "sms", "Send SMS-undersøgelse")],
        None,
    ),
    (
        "Natlig backup",
        {"type": "schedule"},
        [
            node("backup", "command", "Tag backup"),
            node("tjek", "command", "Kontrollér backup"),
            node("besked", "slack", "Rapportér i #drift"),
        ],
        "0 3 * * *",
    ),
]
# Blueprints that also exist as templates (the first of each), from which later workflows are made.
TEMPLATES = {1, 3, 5}
FIRST_STATUSES = [
    models.Workflow.Status.ACTIVE,
    models.Workflow.Status.PAUSED,
    models.Workflow.Status.ACTIVE,
    models.Workflow.Status.DRAFT,
    models.Workflow.Status.ARCHIVED,
]
# How often each value is drawn (weights, in the order the draws have always taken them).
WORKFLOW_STATUSES = {
    models.Workflow.Status.ACTIVE: 5,
    models.Workflow.Status.PAUSED: 1.5,
    models.Workflow.Status.DRAFT: 2,
    models.Workflow.Status.ARCHIVED: 1.5,
}
FINISHED_RUN_STATUSES = {
    models.Execution.Status.COMPLETED: 85,
    models.Execution.Status.FAILED: 12,
    models.Execution.Status.CANCELLED: 3,
}
INTEGRATION_STATUSES = {
    models.Integration.Status.ACTIVE: 8,
    models.Integration.Status.INACTIVE: 1,
    models.Integration.Status.ERROR: 1,
}
REGIONS = ["København", "Aarhus", "Odense", "Aalborg", "Esbjerg", "Vejle", "Roskilde", "Horsens"]
ERRORS = {
    "email": "SMTP 451: midlertidig fejl hos modtagerens server",
    "billy": "Billy API svarede 429 Too Many Requests",
    "slack": "Slack: channel_not_found",
    "database": "canceling statement due to statement timeout",
    "google_calendar": "Google Calendar: 401 invalid_grant",
}
INTEGRATIONS = [
    ("Slack #drift", "slack", {"channel": "#drift", "token_variable": "SLACK_BOT_TOKEN"}),
    (
        "Gmail (info@rendetalje.dk)",
        "email",
        {"from": "info@rendetalje.dk", "password_variable": "SMTP_PASSWORD"},
    ),
    ("Billy.dk", "billy", {"organization": "demo-00000", "api_key_variable": "BILLY_API_KEY"}),
    ("Google Kalender", "google_calendar", {"calendar": "bookinger@rendetalje.dk"}),
    ("RenOS API", "http", {"base_url": "https://api.renos.dk/v1", "timeout_s": 10}),
    ("SMS-gateway", "sms", {"sender": "Rendetalje", "api_key_variable": "SMS_API_KEY"}),
]
# key, type, value, secret, description
GLOBAL_VARIABLES = [
    ("FIRMANAVN", models.Variable.Type.STRING, "Rendetalje ApS", False, "Navnet i e-mails og rapporter."),
    ("MOMS_SATS", models.Variable.Type.NUMBER, "25", False, "Moms i procent."),
    (
        "STANDARD_TIMEPRIS",
        models.Variable.Type.NUMBER,
        "349.00",
        False,
        "Timepris for fast rengøring, ekskl. moms.",
    ),
    ("SEND_SMS", models.Variable.Type.BOOLEAN, "true", False, "Send SMS-påmindelser."),
    (
        "ARBEJDSTIDER",
        models.Variable.Type.JSON,
        {"man-fre": "07:00-16:00", "lør": "lukket"},
        False,
        "Åbningstider.",
    ),
    ("SLACK_BOT_TOKEN", models.Variable.Type.STRING, None, True, "Token til Slack-botten."),
    ("SMTP_PASSWORD", models.Variable.Type.STRING, None, True, "Adgangskode til info@rendetalje.dk."),
    ("BILLY_API_KEY", models.Variable.Type.STRING, None, True, "API-nøgle til Billy.dk."),
    ("SMS_API_KEY", models.Variable.Type.STRING, None, True, "API-nøgle til SMS-gatewayen."),
]


def demo_secret(ctx: SeedContext, key: str) -> str:
    """A demo secret (never a real credential)."""
    return f"demo-{key.lower().replace('_', '-')}-{ctx.rng.getrandbits(64):016x}"
