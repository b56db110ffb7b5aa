"""The crm demo's fixed vocabulary: industries, products, stages with their weights, phrases and titles."""

from __future__ import annotations

from crm import models

CONTACT_DOMAIN = "crm.example.org"
INDUSTRIES = [
    "Ejendomsadministration",
    "Hotel og restaurant",
    "Detailhandel",
    "IT og software",
    "Sundhed og klinik",
    "Byggeri",
    "Advokat og revision",
    "Undervisning",
    "Boligforening",
]
SIZES = ["1-10", "11-50", "51-200", "201-500", "500+"]
# product, unit, unit price (DKK)
PRODUCTS = [
    ("Kontorrengøring, ugentlig", "uger", "1450.00"),
    ("Trappevask", "måneder", "890.00"),
    ("Vinduespudsning", "gange", "1250.00"),
    ("Hovedrengøring", "timer", "399.00"),
    ("Måtteservice", "måneder", "320.00"),
    ("Hygiejneservice, toiletter", "måneder", "560.00"),
    ("Flytterengøring", "timer", "429.00"),
    ("Rengøring efter håndværkere", "timer", "449.00"),
]
STAGES = {
    models.Deal.Stage.QUALIFICATION: 30,
    models.Deal.Stage.PROPOSAL: 25,
    models.Deal.Stage.NEGOTIATION: 15,
    models.Deal.Stage.CLOSED_WON: 20,
    models.Deal.Stage.CLOSED_LOST: 10,
}
# An open deal's probability (per cent) by its stage; a closed one has 100 (won) or 0 (lost).
PROBABILITY = {
    models.Deal.Stage.QUALIFICATION: (10, 30),
    models.Deal.Stage.PROPOSAL: (30, 60),
    models.Deal.Stage.NEGOTIATION: (50, 90),
}
LOST_REASONS = [
    "Valgte en billigere leverandør",
    "Budget skåret ned",
    "Ingen beslutning",
    "Gik med nuværende",
]
ACTIVITY_SUBJECTS = {
    models.Activity.Type.CALL: [
        "Opfølgning på tilbud",
        "Første samtale",
        "Afklaring af behov",
        "Prisforhandling",
    ],
    models.Activity.Type.EMAIL: ["Tilbud sendt", "Kontrakt til underskrift", "Svar på spørgsmål"],
    models.Activity.Type.MEETING: ["Besigtigelse af lokaler", "Møde om aftale", "Kvartalsmøde"],
    models.Activity.Type.NOTE: ["Intern note", "Kunden ønsker fast team", "Nøglekort udleveret"],
    models.Activity.Type.TASK_COMPLETED: [
        "Tilbud udarbejdet",
        "Kontrakt arkiveret",
        "Kunde oprettet i Billy",
    ],
}
OUTCOMES = ["Interesseret", "Vil tænke over det", "Ønsker nyt tilbud", "Aftale indgået", "Ikke interesseret"]
TASK_TITLES = [
    "Ring til {name} om tilbuddet",
    "Send kontrakt til {name}",
    "Book besigtigelse hos {company}",
    "Følg op på faktura til {company}",
    "Opdater kontaktoplysninger for {name}",
]

# How often each value is drawn (weights, in the order the draws have always taken them).
COMPANY_STATUSES = {
    models.Company.Status.CUSTOMER: 4,
    models.Company.Status.PROSPECT: 4,
    models.Company.Status.ACTIVE: 1,
    models.Company.Status.INACTIVE: 1,
}
CONTACT_STATUSES = {
    models.Contact.Status.ACTIVE: 6,
    models.Contact.Status.LEAD: 3,
    models.Contact.Status.INACTIVE: 1,
}
ACTIVITY_TYPES = {
    models.Activity.Type.CALL: 4,
    models.Activity.Type.EMAIL: 4,
    models.Activity.Type.MEETING: 2,
    models.Activity.Type.NOTE: 2,
    models.Activity.Type.TASK_COMPLETED: 1,
}
# Activities that take time and have an outcome.
TALKS = (models.Activity.Type.CALL, models.Activity.Type.MEETING)
OUTBOUND_EMAIL_STATUSES = {
    models.Email.Status.DRAFT: 1,
    models.Email.Status.SENT: 2,
    models.Email.Status.DELIVERED: 3,
    models.Email.Status.OPENED: 3,
    models.Email.Status.CLICKED: 1,
    models.Email.Status.BOUNCED: 0.3,
}
PAST_TASK_STATUSES = {
    models.Task.Status.DONE: 6,
    models.Task.Status.CANCELLED: 1,
    models.Task.Status.TODO: 1,
    models.Task.Status.IN_PROGRESS: 1,
}
FUTURE_TASK_STATUSES = {models.Task.Status.TODO: 3, models.Task.Status.IN_PROGRESS: 1}
TASK_PRIORITIES = {
    models.Task.Priority.LOW: 2,
    models.Task.Priority.MEDIUM: 5,
    models.Task.Priority.HIGH: 2,
    models.Task.Priority.URGENT: 1,
}
