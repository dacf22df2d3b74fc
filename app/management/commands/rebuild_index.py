"""Rebuild the FAISS index from the chunks in the database."""

from typing import Any

from django.core.management.base import BaseCommand

from app.services.indexing import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the vector index from the database (its source of truth)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = rebuild_index()
        self.stdout.write(self.style.SUCCESS(f"Index rebuilt with {report.vectors} vectors."))
        if report.requeued_documents:
            self.stdout.write(
                f"{report.requeued_documents} document(s) embedded by another encoder were queued again."
            )
