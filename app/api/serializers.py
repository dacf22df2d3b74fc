"""Serializers of the REST API: the input each endpoint accepts and the output it gives."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from app.api.fields import StrictCharField, StrictIntegerField, id_field
from app.models import Chunk, Conversation, Document, Message

# Text with something besides whitespace, as Python's str.strip() sees whitespace: the
# schema's pattern means the same to JSON Schema (ECMA regex), whose \s lacks \x1c-\x1f and
# \x85 but has \ufeff.
NOT_BLANK = RegexValidator(r"[^\s\x1c-\x1f\x85]|\ufeff", "This field may not be blank.")

# --- documents ----------------------------------------------------------------------------


class ProgressSerializer(serializers.ModelSerializer):
    """Where a document is in its ingestion."""

    percent = serializers.IntegerField(source="progress_percent", help_text="0-100")

    class Meta:
        model = Document
        fields = [
            "id",
            "status",
            "progress_done",
            "progress_total",
            "percent",
            "chunk_count",
            "failure_reason",
        ]
        read_only_fields = fields


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

    class Meta:
        model = Chunk
        fields = ["id", "ordinal", "text", "start", "end", "page", "heading", "heading_path", "token_count"]
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

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2))
    def get_span(self, result: Any) -> list[int]:
        return [result.chunk.start, result.chunk.end]


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

    def validate_question(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def max_new_tokens_for(self) -> int:
        asked = self.validated_data.get("max_new_tokens") or settings.GENERATOR_MAX_NEW_TOKENS
        return min(asked, settings.GENERATOR_MAX_NEW_TOKENS)


class PassageSerializer(serializers.Serializer):
    """A passage as the prompt held it (a snapshot: it survives the document's deletion)."""

    index = serializers.IntegerField(help_text="Its number in the prompt: [1], [2], …")
    chunk_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    document_title = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    heading = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    score = serializers.FloatField()
    text = serializers.CharField()


class CitationSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The passage's number.")
    kind = serializers.ChoiceField(
        choices=["model", "attention"],
        help_text="`model`: the answer wrote the marker; `attention`: attributed by attention mass.",
    )
    marker = serializers.ListField(child=serializers.IntegerField(), help_text="[start, end) in content.")
    claim = serializers.ListField(child=serializers.IntegerField(), help_text="[start, end) in content.")
    chunk_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    document_title = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    heading = serializers.CharField()
    span = serializers.ListField(child=serializers.IntegerField(), help_text="[start, end) in the document.")


class AttentionSummarySerializer(serializers.Serializer):
    shape = serializers.ListField(
        child=serializers.IntegerField(), help_text="[answer tokens, passages] of the full map."
    )
    layers = serializers.ListField(child=serializers.IntegerField(), help_text="Decoder layers averaged.")
    passage_mass = serializers.ListField(
        child=serializers.FloatField(),
        help_text="Per passage (in prompt order): its attention mass, averaged over the answer tokens.",
    )
    url = serializers.CharField(help_text="The message endpoint, which returns the full map.")


def attention_summary(message: Message) -> dict[str, Any] | None:
    if not message.attention:
        return None
    from generation.attention import AttentionMap  # imports torch: only when there is a map

    attention = AttentionMap.from_dict(message.attention)
    return {
        "shape": [len(attention.passage_mass), len(attention.passage_totals()) or len(message.passages)],
        "layers": list(attention.layers),
        "passage_mass": [round(m, 4) for m in attention.passage_totals()],
        "url": f"/api/messages/{message.pk}/",
    }


class MessageSerializer(serializers.ModelSerializer):
    """A question or an answer; answers carry passages, citations, stats and attention."""

    passages = PassageSerializer(many=True)
    citations = CitationSerializer(many=True)
    stats = serializers.DictField(help_text="Generation statistics (answers only).")
    attention = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "conversation", "role", "content", "status", "passages", "citations", "stats"]
        fields += ["attention", "created_at"]
        read_only_fields = fields

    @extend_schema_field(AttentionSummarySerializer(allow_null=True))
    def get_attention(self, message: Message) -> dict[str, Any] | None:
        return attention_summary(message)


class AttentionMapSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    layers = serializers.ListField(child=serializers.IntegerField())
    token_spans = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="Per answer token: [start, end) of the characters it produced in content.",
    )
    passage_mass = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="Per answer token, per passage: attention mass (rows sum to <= 1).",
    )
    top_spans = serializers.ListField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField())),
        help_text="Per answer token: [passage index, char start, char end, weight], best first.",
    )


class MessageDetailSerializer(MessageSerializer):
    """A message with its full attention map (answer tokens × passages, and top spans)."""

    attention_summary = serializers.SerializerMethodField()

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "attention_summary"]
        read_only_fields = fields

    @extend_schema_field(AttentionMapSerializer(allow_null=True))
    def get_attention(self, message: Message) -> dict[str, Any] | None:
        return message.attention

    @extend_schema_field(AttentionSummarySerializer(allow_null=True))
    def get_attention_summary(self, message: Message) -> dict[str, Any] | None:
        return attention_summary(message)


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


class StreamStartSerializer(serializers.Serializer):
    """`data` of the `start` event."""

    conversation = serializers.IntegerField()
    question = serializers.IntegerField(help_text="The saved question message's id.")
    passages = PassageSerializer(many=True)


class AskStreamEventSerializer(serializers.Serializer):
    """One server-sent event of /api/ask/stream/ (`data` is a JSON document)."""

    event = serializers.ChoiceField(choices=["start", "token", "done", "error"])
    data = serializers.CharField(
        help_text=(
            "JSON. start: {conversation, question, passages}; token: {text}; "
            "done: {message} (the saved answer); error: the API's error body."
        )
    )
