"""Serializers of documents: the list and its filters, one document with its chunks,
ingestion progress, and uploads."""

from __future__ import annotations

from typing import get_args

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from app.api.fields import StrictCharField
from app.models import Chunk, Document, PageUnit
from app.services.library import ingest_progress
from retrieval.parsing import formats_named

# A chunk's table header is described the same wherever a chunk's text is shown: here, in
# search hits and in an answer's passages.
TABLE_HEADER_HELP = (
    "[start, end) in the document's text of a table's header lines that `text` starts with "
    "(then a newline), repeated because its rows follow; null when the text has none."
)


def page_unit_field(source: str | None = None) -> serializers.ChoiceField:
    """`page_unit`: what a `page` counts (`Document.page_unit`), read from `source` if given."""
    help_text = "What `page` counts: a slide deck's pages are its slides."
    return serializers.ChoiceField(choices=list(get_args(PageUnit)), help_text=help_text, source=source)


def table_header_field(*, read_only: bool = False, required: bool = True) -> serializers.ListField:
    """`table_header`: a [start, end) pair of the document's text, or null."""
    return serializers.ListField(
        child=serializers.IntegerField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        read_only=read_only,
        required=required and not read_only,
        help_text=TABLE_HEADER_HELP,
    )


class ProgressSerializer(serializers.ModelSerializer):
    """Where a document is in its ingestion."""

    percent = serializers.IntegerField(source="progress_percent", help_text="0-100")
    progress_unit = serializers.SerializerMethodField(
        help_text='What progress_done counts: "pages" read while a PDF is parsed, "chunks" embedded, or "".'
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "status",
            "progress_done",
            "progress_total",
            "progress_unit",
            "percent",
            "chunk_count",
            "failure_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["pages", "chunks", ""]))
    def get_progress_unit(self, document: Document) -> str:
        return ingest_progress(document).unit


class DocumentSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", help_text="Username of the owner.")
    progress = serializers.IntegerField(source="progress_percent", help_text="Ingestion progress, 0-100.")
    warnings = serializers.ListField(child=serializers.CharField(), help_text="Parser warnings.")

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "original_filename",
            "format",
            "size_bytes",
            "sha256",
            "status",
            "failure_reason",
            "warnings",
            "progress",
            "progress_done",
            "progress_total",
            "chunk_count",
            "page_count",
            "owner",
            "collection",
            "created_at",
            "indexed_at",
        ]
        read_only_fields = fields


class ChunkSerializer(serializers.ModelSerializer):
    heading_path = serializers.ListField(child=serializers.CharField(), help_text="Section headings.")
    heading = serializers.CharField(help_text="The heading path joined with ›.")
    table_header = table_header_field(read_only=True)

    class Meta:
        model = Chunk
        fields = [
            "id",
            "ordinal",
            "text",
            "start",
            "end",
            "page",
            "heading",
            "heading_path",
            "token_count",
            "table_header",
        ]
        read_only_fields = fields


class DocumentDetailSerializer(DocumentSerializer):
    chunks = ChunkSerializer(many=True, help_text="In document order.")

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "chunks"]
        read_only_fields = fields


class DocumentFilterSerializer(serializers.Serializer):
    """Query parameters of the document list."""

    status = serializers.ChoiceField(choices=Document.Status.choices, required=False)
    format = serializers.RegexField(
        r"^[a-z0-9]{1,16}$", required=False, help_text="File format key: txt, md, html, pdf, docx, epub."
    )
    q = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=200,
        help_text="Words in the title (any case).",
    )


class ProgressQuerySerializer(serializers.Serializer):
    ids = serializers.RegexField(
        r"^[0-9]{1,18}(,[0-9]{1,18}){0,499}$",
        help_text="Up to 500 comma-separated document ids.",
    )


class UploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        min_length=1,
        help_text=f"One or more files (repeat the `files` part): {formats_named()}.",
    )


class UploadOutcomeSerializer(serializers.Serializer):
    filename = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=["created", "duplicate", "failed"],
        help_text=(
            "`duplicate`: you already have this content; `document` is the existing one. "
            "`failed`: this file could not be stored (`error` says why); the others were."
        ),
    )
    document = DocumentSerializer(allow_null=True)
    queued = serializers.BooleanField(
        allow_null=True,
        help_text=(
            "false: stored, but the ingestion queue is unreachable; it is queued automatically "
            "when the queue is back. null: not applicable (duplicate, failed)."
        ),
    )
    error = serializers.CharField(allow_null=True, help_text="Why the file could not be stored.")


class UploadResponseSerializer(serializers.Serializer):
    documents = UploadOutcomeSerializer(many=True)
