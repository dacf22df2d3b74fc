"""Serializers of /api/search/: the request, and the passages found."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from app.api.fields import NOT_BLANK, StrictCharField, StrictIntegerField, id_field
from app.api.serializers.documents import TABLE_HEADER_HELP, page_unit_field


class SearchRequestSerializer(serializers.Serializer):
    query = StrictCharField(
        max_length=2000, validators=[NOT_BLANK], help_text="What to look for, in plain words."
    )
    top_k = StrictIntegerField(min_value=1, max_value=100, required=False, help_text="Default SEARCH_TOP_K.")
    document_ids = serializers.ListField(
        child=id_field(),
        required=False,
        max_length=1000,
        help_text="Search only these documents (of yours).",
    )


class DocumentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class SearchHitSerializer(serializers.Serializer):
    chunk_id = serializers.IntegerField(source="chunk.pk")
    score = serializers.FloatField(help_text="Cosine similarity, -1..1.")
    document = DocumentRefSerializer(source="chunk.document")
    page = serializers.IntegerField(source="chunk.page", allow_null=True)
    page_unit = page_unit_field(source="chunk.document.page_unit")
    heading = serializers.CharField(source="chunk.heading")
    heading_path = serializers.ListField(source="chunk.heading_path", child=serializers.CharField())
    span = serializers.SerializerMethodField(help_text="[start, end) in the document's text.")
    text = serializers.CharField(source="chunk.text")
    table_header = serializers.SerializerMethodField(help_text=TABLE_HEADER_HELP)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2))
    def get_span(self, result: Any) -> list[int]:
        return [result.chunk.start, result.chunk.end]

    @extend_schema_field(
        serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2, allow_null=True)
    )
    def get_table_header(self, result: Any) -> list[int] | None:
        header = result.chunk.table_header
        return list(header) if header else None


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    searched_for = serializers.CharField(
        help_text="The query as searched: a misspelt word respelt as your documents spell it "
        '("edcuation" -> "education"); the same as query when nothing was respelt.'
    )
    results = SearchHitSerializer(many=True)
