"""E-mail threads with messages, conversations, AI replies and escalations, chat sessions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from renos import models
from renos.factories import (
    ChatMessageFactory,
    ChatSessionFactory,
    ConversationFactory,
    EmailMessageFactory,
    EmailResponseFactory,
    EmailThreadFactory,
    EscalationFactory,
)
from renos.models import QuoteStatus
from shared.seeding import (
    built,
    stable_id,
    stamped,
)

from .data import (
    AI_MODEL,
    CHAT_OPENERS,
    CHAT_REPLIES,
    COMPANY_MAIL,
    DAYS,
    ESCALATION_KEYWORDS,
    THREAD_SUBJECTS,
    _first_name,
    _hex,
    _uuid,
)

# Outbound messages are mostly delivered (the list's repeats are the weights).
OUTBOUND_MESSAGE_STATUSES = [
    models.EmailMessageStatus.SENT,
    models.EmailMessageStatus.DELIVERED,
    models.EmailMessageStatus.DELIVERED,
]
OTHER_CHANNELS = [
    models.ConversationChannel.CHAT,
    models.ConversationChannel.PHONE,
    models.ConversationChannel.SMS,
]


class MessageRows:
    """E-mail, conversations, responses, escalations and chats (a mixin of the renos demo builder)."""

    # --- e-mail, conversations, chat ----------------------------------------------------------------

    def email(self, customers, leads):
        """E-mail threads with their messages, and conversations: those of some customers' threads first,
        then conversations on the other channels."""
        ctx, rng = self.ctx, self.rng
        threads, messages, conversations = [], [], []
        customer_leads = defaultdict(list)
        for lead in leads:
            if lead["customer"]:
                customer_leads[lead["customer"]].append(lead)
        loose_leads = [lead for lead in leads if not lead["customer"]]
        for index in range(ctx.pick(15, 300, 3_000)):
            customer = rng.choice(customers) if rng.random() < 0.7 or not loose_leads else None
            lead = rng.choice(loose_leads) if customer is None else None
            thread, thread_messages, conversation = self._thread(index, customer, lead, customer_leads)
            messages.extend(thread_messages)
            if conversation is not None:
                conversations.append(conversation)
            threads.append(thread)
        conversations.extend(self._other_conversations(customers))
        return threads, messages, conversations

    def _thread(self, index, customer, lead, customer_leads) -> tuple[dict, list[dict], dict | None]:
        """One thread with a customer (matched) or a lead who is none yet, its messages, and for half the
        customers' threads the conversation they belong to."""
        ctx, rng = self.ctx, self.rng
        who = customer or lead
        gmail_thread_id = f"demo{stable_id('renos.email_threads', ctx.random_seed, index).hex[:16]}"
        if lead is not None and lead["email_thread_id"] is None:
            lead["email_thread_id"] = gmail_thread_id
        subject = rng.choice(THREAD_SUBJECTS).format(service=rng.choice(self.services)["name"].lower())
        started = ctx.moment(days_back=360)
        thread = {
            "id": stable_id("renos.email_threads", gmail_thread_id),
            "gmail_thread_id": gmail_thread_id,
            "subject": subject,
            "conversation": None,
        }
        if customer is not None and rng.random() < 0.5:
            thread["conversation"] = stable_id("renos.conversations", gmail_thread_id)
        messages = self._thread_messages(thread, who, started)
        last = messages[-1]["sent_at"]
        conversation = None
        if thread["conversation"] is not None:
            lead_of_customer = (customer_leads[customer["id"]] or [{"id": None}])[0]["id"]
            conversation = self._email_conversation(thread, customer["id"], lead_of_customer, started, last)
        matched = customer is not None
        row = built(
            EmailThreadFactory,
            id=thread["id"],
            gmail_thread_id=gmail_thread_id,
            customer_id=customer["id"] if customer else None,
            subject=subject,
            snippet=messages[-1]["body_preview"],
            last_message_at=last,
            participants=[who["email"], COMPANY_MAIL],
            message_count=len(messages),
            labels=["INBOX"] + (["Kunde"] if matched else ["Lead"]),
            is_matched=matched,
            matched_at=started + dt.timedelta(minutes=1) if matched else None,
            matched_by=rng.choice(["email", "ai"]) if matched else None,
            confidence=round(rng.uniform(0.8, 1.0), 3) if matched else None,
        )
        return stamped(row, started), messages, conversation

    def _thread_messages(self, thread: dict, who: dict, started: dt.datetime) -> list[dict]:
        """One to five messages, taking turns: the customer or lead writes first, Rendetalje answers (some
        answers written by the AI)."""
        rng = self.rng
        gmail_thread_id, subject = thread["gmail_thread_id"], thread["subject"]
        sent_at = started
        messages = []
        for number in range(rng.randrange(1, 6)):
            inbound = number % 2 == 0
            body = (
                f"Hej {'Rendetalje' if inbound else _first_name(who['name'])},\n\n"
                f"{self.faker.paragraph(nb_sentences=rng.randrange(2, 5))}\n\n"
                f"Venlig hilsen\n{who['name'] if inbound else 'Rendetalje'}"
            )
            ai = not inbound and rng.random() < 0.4
            # EmailMessageFactory gives the body's preview.
            message = built(
                EmailMessageFactory,
                id=stable_id("renos.email_messages", gmail_thread_id, number),
                gmail_message_id=f"{gmail_thread_id}-{number:02d}",
                thread_id=thread["id"],
                sender=who["email"] if inbound else COMPANY_MAIL,
                to=[COMPANY_MAIL] if inbound else [who["email"]],
                subject=subject if number == 0 else f"Re: {subject}",
                body=body,
                direction=models.EmailDirection.INBOUND if inbound else models.EmailDirection.OUTBOUND,
                status=models.EmailMessageStatus.DELIVERED
                if inbound
                else rng.choice(OUTBOUND_MESSAGE_STATUSES),
                is_ai_generated=ai,
                ai_model=AI_MODEL if ai else None,
                sent_at=sent_at,
                conversation_id=thread["conversation"],
            )
            messages.append(stamped(message, sent_at))
            sent_at += dt.timedelta(minutes=rng.randrange(10, 60 * 30))
        return messages

    def _email_conversation(self, thread: dict, customer_id, lead_id, started, last) -> dict:
        closed = self.rng.random() < 0.6
        conversation = built(
            ConversationFactory,
            id=thread["conversation"],
            customer_id=customer_id,
            lead_id=lead_id,
            subject=thread["subject"],
            channel=models.ConversationChannel.EMAIL,
            status=models.ConversationStatus.CLOSED if closed else models.ConversationStatus.ACTIVE,
            gmail_thread_id=thread["gmail_thread_id"],
            closed_at=last + dt.timedelta(hours=2) if closed else None,
        )
        return stamped(conversation, started)

    def _other_conversations(self, customers) -> list[dict]:
        """Conversations on other channels (chat, phone, SMS): no Gmail thread."""
        ctx, rng = self.ctx, self.rng
        rows = []
        for index in range(ctx.pick(5, 80, 800)):
            customer = rng.choice(customers)
            started = ctx.moment(days_back=360)
            closed = rng.random() < 0.7
            conversation = built(
                ConversationFactory,
                id=stable_id("renos.conversations", ctx.random_seed, index),
                customer_id=customer["id"],
                lead_id=None,
                subject=rng.choice(["Spørgsmål om tid", "Ændring af adresse", "Ros til medarbejder"]),
                channel=rng.choice(OTHER_CHANNELS),
                status=models.ConversationStatus.CLOSED if closed else models.ConversationStatus.ACTIVE,
                gmail_thread_id=None,
                closed_at=started + dt.timedelta(hours=rng.randrange(1, 48)) if closed else None,
            )
            rows.append(stamped(conversation, started))
        return rows

    def responses_and_escalations(self, leads):
        return self._responses(leads), self._escalations(leads)

    def _responses(self, leads) -> list[dict]:
        """The AI's reply to each quoted lead: a draft quote's reply waits for review (or was reviewed), a
        sent one's went out with it."""
        ctx, rng = self.ctx, self.rng
        rows = []
        for lead in leads:
            quote = lead.get("_quote")
            if quote is None:
                continue
            status = (
                models.EmailResponseStatus.PENDING
                if quote["status"] == QuoteStatus.DRAFT
                else models.EmailResponseStatus.SENT
            )
            if status == models.EmailResponseStatus.PENDING and rng.random() < 0.3:
                status = rng.choice(
                    [models.EmailResponseStatus.APPROVED, models.EmailResponseStatus.REJECTED]
                )
            created = quote["created_at"] + dt.timedelta(minutes=2)
            sent = status == models.EmailResponseStatus.SENT
            # The factory's ai_model is the demo's AI_MODEL.
            response = built(
                EmailResponseFactory,
                id=stable_id("renos.email_responses", quote["id"]),
                lead_id=lead["id"],
                recipient_email=lead["email"],
                subject=f"Tilbud på {lead['task_type']}",
                body=(
                    f"Hej {_first_name(lead['name'])},\n\nTak for din henvendelse. Vi kan tilbyde "
                    f"{lead['task_type']} af {lead['square_meters']} m² for {quote['total']} kr. "
                    f"inkl. moms ({quote['estimated_hours']} timer à {quote['hourly_rate']} kr.).\n\n"
                    "Venlig hilsen\nRendetalje"
                ),
                status=status,
                gmail_thread_id=lead["email_thread_id"] if sent else None,
                gmail_message_id=f"demo{_hex(ctx)}" if sent else None,
                sent_at=created + dt.timedelta(minutes=rng.randrange(5, 120)) if sent else None,
                rejected_reason="Prisen skal justeres"
                if status == models.EmailResponseStatus.REJECTED
                else None,
            )
            rows.append(stamped(response, created))
        return rows

    def _escalations(self, leads) -> list[dict]:
        """Leads the conflict detector escalated to the owner, most of them resolved."""
        ctx, rng = self.ctx, self.rng
        rows = []
        with_email = [lead for lead in leads if lead["email"]]
        for index in range(ctx.pick(3, 40, 400)):
            lead = rng.choice(with_email)
            score = rng.randrange(40, 100)
            at = max(ctx.moment(days_back=300), lead["created_at"])
            resolved = rng.random() < 0.7
            # EscalationFactory gives the severity (from the score) and the conflict detector as escalator.
            escalation = built(
                EscalationFactory,
                id=stable_id("renos.escalations", ctx.random_seed, index),
                lead_id=lead["id"],
                customer_email=lead["email"],
                customer_name=lead["name"],
                thread_id=lead["email_thread_id"] or f"demo{_hex(ctx)}",
                conflict_score=score,
                matched_keywords=rng.sample(ESCALATION_KEYWORDS, rng.randrange(1, 4)),
                email_snippet=f"Jeg er {rng.choice(ESCALATION_KEYWORDS[:2])} med rengøringen …",
                escalated_at=at,
                owner_notified=True,
                resolved_at=at + dt.timedelta(hours=rng.randrange(1, 72)) if resolved else None,
                resolution="Gratis genbesøg aftalt" if resolved else None,
            )
            rows.append(stamped(escalation, at))
        return rows

    def chats(self):
        ctx, rng = self.ctx, self.rng
        sessions, messages = [], []
        for index in range(ctx.pick(10, 250, 2_500)):
            session_id = stable_id("renos.chat_sessions", ctx.random_seed, index)
            started = ctx.moment(days_back=360)
            # ChatSessionFactory gives the locale (da-DK).
            session = built(
                ChatSessionFactory,
                id=session_id,
                user_id=_uuid(ctx) if rng.random() < 0.4 else None,
                channel=rng.choice(["web", "web", "messenger"]),
            )
            sessions.append(stamped(session, started))
            service = rng.choice(self.services)
            m2 = rng.randrange(40, 200)
            words = {
                "service": service["name"].lower(),
                "m2": m2,
                "hours": max(2, m2 // 30),
                "rate": service["price"],
                "day": rng.choice(DAYS),
            }
            at = started
            turns = [
                (
                    models.ChatMessageRole.SYSTEM,
                    "Du er RenOS, Rendetaljes assistent. Svar kort og venligt på dansk.",
                )
            ]
            for _ in range(rng.randrange(1, 4)):
                turn = rng.randrange(len(CHAT_OPENERS))
                turns += [
                    (models.ChatMessageRole.USER, CHAT_OPENERS[turn]),
                    (models.ChatMessageRole.ASSISTANT, CHAT_REPLIES[turn]),
                ]
            for number, (role, text) in enumerate(turns):
                message = built(
                    ChatMessageFactory,
                    id=stable_id("renos.chat_messages", session_id, number),
                    session_id=session_id,
                    role=role,
                    content=text.format(**words),
                    timestamp=at,
                )
                messages.append(stamped(message, at))
                at += dt.timedelta(seconds=rng.randrange(3, 90))
        return sessions, messages
