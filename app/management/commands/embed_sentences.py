"""Give chunks embedded before sentence vectors existed, or under older sentence rules, their
sentences' vectors."""

from typing import Any

from django.core.management.base import BaseCommand

from app.services.indexing import embed_missing_sentences


class Command(BaseCommand):
    help = (
        "Encode the sentences of chunks indexed before search matched chunks by their best "
        "sentence, or before the sentence rules last changed (in place: documents stay "
        "searchable). Does nothing when none are missing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        filled = embed_missing_sentences()
        self.stdout.write(self.style.SUCCESS(f"Sentence vectors added to {filled} chunk(s)."))
