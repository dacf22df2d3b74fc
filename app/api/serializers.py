"""Serializers of the REST API: the input each endpoint accepts and the output it gives."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from app.api.fields import StrictCharField, StrictIntegerField, id_field
from app.models import Chunk, Conversation, Document, Message
from app.services.library import ingest_progress

# Text with something besides whitespace, as Python's str.strip() sees whitespace: the
# schema's pattern means the same to JSON Schema (ECMA regex), whose \s lacks \x1c-\x1f and
# \x85 but has \ufeff.
NOT_BLANK = RegexValidator(r"[^\s\x1c-\x1f\x85]|\ufeff", "This field may not be blank.")

# --- documents ----------------------------------------------------------------------------

TABLE_HEADER_HELP = (
    "[start, end) in the document's text of a table's header lines that `text` starts with "
    "(then a newline), repeated because its rows follow; null when the text has none."
)


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
        r"^[a-z0-9]{1,16}$", required=False, help_text="File format key: txt, md, html, pdf, docx."
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
        help_text="One or more files (repeat the `files` part): TXT, Markdown, HTML, PDF or DOCX.",
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


# --- search -----------------------------------------------------------------------------------


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
    results = SearchHitSerializer(many=True)


# --- answers ----------------------------------------------------------------------------------


class AskRequestSerializer(serializers.Serializer):
    question = StrictCharField(max_length=4000, validators=[NOT_BLANK])
    top_k = StrictIntegerField(
        min_value=1, max_value=50, required=False, help_text="Passages to retrieve; default ANSWER_TOP_K."
    )
    max_new_tokens = StrictIntegerField(
        min_value=1,
        max_value=8192,
        required=False,
        help_text="Answer length limit; capped by the server's GENERATOR_MAX_NEW_TOKENS.",
    )
    conversation = id_field(required=False, help_text="Continue this conversation of yours.")
    mode = serializers.ChoiceField(
        choices=["extract", "free", "evidence"],
        required=False,
        help_text=(
            "How the answer is written from the evidence quotes; default ANSWER_MODE. `extract`: "
            "copied verbatim from a quote; `free`: written freely, then checked; `evidence`: quotes only."
        ),
    )

    def validate_question(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class SourceFields(serializers.Serializer):
    chunk_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    document_title = serializers.CharField(allow_blank=True)
    original_filename = serializers.CharField(allow_blank=True, help_text="The uploaded file's name.")
    page = serializers.IntegerField(allow_null=True, help_text="Page index in the file, from 1.")
    heading = serializers.CharField(allow_blank=True)
    page_label = serializers.CharField(allow_blank=True, help_text="The printed page number, when known.")


def _span(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2, help_text=help_text
    )


class PassageSerializer(SourceFields):
    """A retrieved passage, as it was when the answer was made (a snapshot)."""

    index = serializers.IntegerField(help_text="Its rank in retrieval, from 1.")
    start = serializers.IntegerField(help_text="[start, end) of the passage in the document's text.")
    end = serializers.IntegerField()
    score = serializers.FloatField(help_text="Cosine similarity to the question.")
    text = serializers.CharField(allow_blank=True)
    table_header = table_header_field(required=False)


class EvidenceSerializer(SourceFields):
    """A sentence quoted exactly from a document: the first part of every answer."""

    index = serializers.IntegerField(help_text="Its number, [1], [2], …, in the prompt and in citations.")
    passage = serializers.IntegerField(help_text="The `index` of the passage it was quoted from.")
    start = serializers.IntegerField(help_text="[start, end) of the quote in the document's text.")
    end = serializers.IntegerField()
    text = serializers.CharField()
    score = serializers.FloatField(help_text="Evidence ranking score (higher: more likely the answer).")
    similarity = serializers.FloatField(help_text="Cosine similarity of the quote to the question.")
    coverage = serializers.FloatField(
        help_text="Share of the question's (idf-weighted) words the quote holds."
    )


class CitationSerializer(serializers.Serializer):
    evidence = serializers.IntegerField(help_text="The evidence quote's `index`.")
    kind = serializers.ChoiceField(
        choices=["model", "attention", "copy", "support"],
        help_text=(
            "`copy`: the claim was copied verbatim from the quote (constrained decoding); `support`: a "
            "written claim whose words were found in the quote; `model`: a marker the model wrote; "
            "`attention`: attributed by attention mass."
        ),
    )
    claim = _span("[start, end) of the claim in content.")
    marker = _span("[start, end) of a written marker in content; empty when none was written.")
    chunk_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    document_title = serializers.CharField(allow_blank=True)
    page = serializers.IntegerField(allow_null=True)
    span = _span("[start, end) of the exact characters cited, in the document's text.")
    page_label = serializers.CharField(allow_blank=True)


class CheckSerializer(serializers.Serializer):
    claim = _span("[start, end) of the sentence in content.")
    supported = serializers.BooleanField(help_text="False: not found in your documents.")
    evidence = serializers.IntegerField(allow_null=True, help_text="The quote that supports it.")
    support = serializers.FloatField(help_text="Share of its content words found in that quote.")


class AnswerStatsSerializer(serializers.Serializer):
    finish_reason = serializers.CharField(
        help_text="eos | stop | length | repeat | cancelled | failed | abstained | evidence"
    )
    prompt_tokens = serializers.IntegerField()
    reused_prefix_tokens = serializers.IntegerField()
    reuse_source = serializers.CharField()
    generated_tokens = serializers.IntegerField()
    time_to_first_token_s = serializers.FloatField(help_text="From the question's arrival.")
    decode_tokens_per_s = serializers.FloatField()
    total_s = serializers.FloatField()
    retrieval_s = serializers.FloatField()
    evidence_s = serializers.FloatField()
    dropped_passages = serializers.IntegerField()
    evidence_coverage = serializers.FloatField(
        allow_null=True, help_text="The idf-weighted share of the question's words the top quote holds."
    )
    answerability = serializers.FloatField(
        allow_null=True,
        help_text="How likely the top quote answers the question (0-1); "
        "below ANSWER_MIN_EVIDENCE the answer abstains.",
    )


class AttentionSummarySerializer(serializers.Serializer):
    shape = serializers.ListField(
        child=serializers.IntegerField(), help_text="[answer tokens, evidence quotes] of the full map."
    )
    layers = serializers.ListField(child=serializers.IntegerField(), help_text="Decoder layers averaged.")
    passage_mass = serializers.ListField(
        child=serializers.FloatField(),
        help_text="Per evidence quote, in prompt order: its attention mass averaged over answer tokens.",
    )
    url = serializers.CharField(help_text="The message endpoint.")


class AttentionMapSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    layers = serializers.ListField(child=serializers.IntegerField())
    token_spans = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="Per answer token: [start, end) of the characters it produced in content.",
    )
    passage_mass = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="Per answer token, per evidence quote: attention mass (rows sum to <= 1).",
    )
    top_spans = serializers.ListField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField())),
        help_text="Per answer token: [quote index, char start, char end, weight], best first.",
    )


class MessageSerializer(serializers.Serializer):
    """A question or an answer (`app.services.answer_payloads.message_payload`); answers
    also carry mode, passages, evidence, citations, checks, stats and attention."""

    id = serializers.IntegerField()
    conversation = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Message.Role.choices)
    content = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=Message.Status.choices)
    created_at = serializers.DateTimeField(allow_null=True)
    mode = serializers.ChoiceField(choices=["extract", "free", "evidence"], required=False)
    passages = PassageSerializer(many=True, required=False)
    evidence = EvidenceSerializer(many=True, required=False)
    citations = CitationSerializer(many=True, required=False)
    checks = CheckSerializer(many=True, required=False)
    stats = AnswerStatsSerializer(required=False)
    attention = AttentionMapSerializer(allow_null=True, required=False)
    attention_summary = AttentionSummarySerializer(allow_null=True, required=False)


class ConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id", "title", "collection", "created_at", "updated_at"]
        read_only_fields = fields


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content = serializers.CharField()


class AskResponseSerializer(serializers.Serializer):
    conversation = ConversationSerializer()
    question = QuestionSerializer()
    answer = MessageSerializer()


# --- stream events: the `data` of each server-sent event (answer_payloads) ----------------------


class StreamStartSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True, help_text="The conversation's title.")
    question = serializers.IntegerField(help_text="The saved question message's id.")
    answer = serializers.IntegerField(help_text="The answer message's id (saved as it streams).")
    mode = serializers.ChoiceField(choices=["extract", "free", "evidence"])
    abstained = serializers.BooleanField(help_text="True: the evidence is too weak; nothing is written.")
    passages = PassageSerializer(many=True)
    evidence = EvidenceSerializer(many=True)


class StreamTokenSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class StreamDoneSerializer(serializers.Serializer):
    message = MessageSerializer()


class StreamErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class StreamErrorSerializer(serializers.Serializer):
    error = StreamErrorBodySerializer()
    message = MessageSerializer(
        allow_null=True, help_text="The answer as saved (`failed`), when there is one."
    )


STREAM_EVENTS: dict[str, type[serializers.Serializer]] = {
    "start": StreamStartSerializer,
    "token": StreamTokenSerializer,
    "done": StreamDoneSerializer,
    "error": StreamErrorSerializer,
}


class AskStreamEventSerializer(serializers.Serializer):
    """One server-sent event of /api/ask/stream/ (`data` is a JSON document)."""

    event = serializers.ChoiceField(choices=list(STREAM_EVENTS))
    data = serializers.CharField(  # type: ignore[assignment]  # the SSE `data:` line; stubs see Serializer.data
        help_text=(
            "JSON, by event. start: {conversation, title, question, answer, mode, abstained, passages, "
            "evidence}; token: {text}; done: {message} (the saved answer, as /api/ask/ returns it); "
            "error: {error: {code, message}, message} (the answer saved as failed, or null)."
        )
    )
