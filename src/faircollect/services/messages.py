"""Use case: screen a message a lender's own system is about to send (threats, insults,
impersonation, disclosure to third parties, unlawful amounts, missing disclosures).

Screening reads and writes nothing: it is the screening engine on the caller's text and
context, behind the MESSAGE_SCREEN permission (so repeating it, with or without an
Idempotency-Key, repeats its answer).
"""

from __future__ import annotations

from faircollect.screening import Screening, ScreeningContext, screen
from faircollect.services.authorization import Actor, Permission, authorize


def screen_message(
    *, actor: Actor, text: str, context: ScreeningContext, lang: str = "auto"
) -> Screening:
    """The verdict, categories, spans and bilingual explanation for one text; ScreeningError
    for a text that cannot be screened (empty, too long, control characters)."""
    authorize(actor, Permission.MESSAGE_SCREEN)
    return screen(text, lang=lang, context=context)
