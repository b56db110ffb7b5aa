"""The demo cleaning company's fixed vocabulary: its services, labels, lead sources, e-mail and chat phrases,
task types and competitors, and the small draws built on the seed's random generator."""

from __future__ import annotations

import uuid

from shared.seeding import (
    SeedContext,
)

CUSTOMER_DOMAIN = "kunde.example.com"
# Leads who are not yet customers write from addresses on the other reserved domains (RFC 2606).
LEAD_DOMAINS = ["example.net", "example.org"]
COMPANY_MAIL = "info@rendetalje.dk"
AI_MODEL = "gemini-2.0-flash"
# A lead's plan rather than a status: once its booking is laid out it becomes won or booked.
TO_BOOK = "book"

# name, description, price per hour, usual duration (minutes)
SERVICES = [
    ("Fast rengøring", "Ugentlig eller hver 14. dag: støvsugning, gulvvask, bad og køkken.", "349.00", 120),
    ("Hovedrengøring", "Grundig rengøring af hele boligen, også paneler, døre og skabe.", "399.00", 300),
    ("Flytterengøring", "Rengøring ved fraflytning, så depositummet kommer retur.", "429.00", 360),
    ("Vinduespudsning", "Indvendig og udvendig pudsning af vinduer og glasdøre.", "299.00", 90),
    ("Erhvervsrengøring", "Kontorer, klinikker og butikker efter aftale.", "379.00", 180),
    ("Trappevask", "Trappeopgange i etageejendomme.", "329.00", 60),
    ("Airbnb-rengøring", "Klargøring mellem gæster, inkl. skift af sengetøj.", "369.00", 150),
]
LABELS = [
    "Fast kunde",
    "Erhverv",
    "Privat",
    "VIP",
    "Nøgle udleveret",
    "Husdyr",
    "Betaler sent",
    "Klage",
    "Ny kunde",
    "Flytning",
]
LEAD_SOURCES = ["website", "website", "email", "phone", "leadpoint", "rengøring.nu", "henvisning"]
BREAK_REASONS = ["frokost", "pause", "kørsel mellem opgaver", "venter på nøgle"]
TASKS = [
    ("Støvsugning af alle rum", "gulve", 25),
    ("Gulvvask", "gulve", 30),
    ("Rengøring af badeværelse", "vådrum", 30),
    ("Afkalkning af armaturer", "vådrum", 10),
    ("Køkken: bordplader og fronter", "køkken", 20),
    ("Rengøring af komfur og emhætte", "køkken", 20),
    ("Aftørring af støv", "overflader", 15),
    ("Skift af sengetøj", "soverum", 10),
    ("Tømning af skraldespande", "overflader", 5),
    ("Pudsning af spejle", "vådrum", 5),
]
THREAD_SUBJECTS = [
    "Tilbud på {service}",
    "Spørgsmål til faktura",
    "Ændring af tid",
    "Nøgle til lejligheden",
    "Tak for i dag",
    "Bekræftelse af booking",
    "Kan I komme tidligere?",
    "Klage over rengøringen",
]
CHAT_OPENERS = [
    "Hej! Hvad koster en {service} af {m2} m²?",
    "Kan I komme på {day}?",
    "Hvordan aflyser jeg min booking?",
    "Tager I jer også af vinduer?",
    "Jeg vil gerne have et tilbud på {service}.",
]
CHAT_REPLIES = [
    "Tak for din besked! En {service} af {m2} m² tager cirka {hours} timer à {rate} kr. ekskl. moms.",
    "Vi har ledig tid på {day}. Skal jeg reservere den til dig?",
    "Du kan aflyse gratis indtil 24 timer før. Skriv blot dit bookingnummer.",
    "Ja, vi tilbyder vinduespudsning til {rate} kr. i timen.",
    "Jeg sender et tilbud til din e-mail inden for en time.",
]
DAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag"]
TASK_TYPES = [
    ("classify_email", "email_classification"),
    ("send_quote", "quote_request"),
    ("book_calendar", "booking_request"),
    ("match_customer", "customer_lookup"),
    ("follow_up_lead", "follow_up"),
    ("detect_conflict", "complaint"),
]
COMPETITORS = [
    "Hjemmeservice Danmark",
    "Rengøringsselskabet Nord",
    "CleanCare ApS",
    "Blå Kvalitet Rengøring",
    "Stjernerengøring",
]
ESCALATION_KEYWORDS = ["utilfreds", "refusion", "klage", "skuffet", "advokat", "anmeldelse", "for sent"]


def _uuid(ctx: SeedContext) -> str:
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


def _hex(ctx: SeedContext, digits: int = 16) -> str:
    return f"{ctx.rng.getrandbits(digits * 4):0{digits}x}"


def _first_name(name: str) -> str:
    return name.split()[0] if name else "du"
