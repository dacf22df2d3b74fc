"""Request and response shapes of the OpenAI-compatible endpoints (/v1)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from app.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
    clean_text,
    id_field,
)
from app.api.serializers.answers import (
    CitationSerializer,
    EvidenceSerializer,
    MessageSerializer,
    PassageSerializer,
)
from app.services.runtime import encoder_name, get_encoder

MODEL_ID = "groundwork"
ROLES = ["system", "developer", "user", "assistant", "tool"]


# The schema names the models there are; any other name is OpenAI's 404 model_not_found
# (raised by the view), not a 400, so the fields themselves take any string.
@extend_schema_field({"type": "string", "enum": [MODEL_ID]})
class ChatModelField(StrictCharField):
    pass


@extend_schema_field({"type": "string", "enum": sorted({MODEL_ID, encoder_name()})})
class EmbeddingModelField(StrictCharField):
    pass


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"type": {"type": "string"}, "text": {"type": "string"}},
                    "required": ["type"],
                },
            },
        ],
        "nullable": True,
    }
)
class ContentPartField(serializers.Field):
    """A message's content: a string, a list of parts ({"type": "text", "text": …}), or null."""

    default_error_messages = {
        "invalid": "Must be a string, null, or a list of content parts with type and text.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            text = data
        elif isinstance(data, list) and all(
            isinstance(p, dict) and isinstance(p.get("type"), str) for p in data
        ):
            parts = [p.get("text") for p in data if p["type"] == "text"]
            if not all(isinstance(t, str) for t in parts):
                self.fail("invalid")
            text = "\n".join(parts)  # type: ignore[arg-type]
        else:
            self.fail("invalid")
        return clean_text(text)

    def to_representation(self, value: Any) -> Any:
        return value


class ChatMessageSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLES)
    content = ContentPartField(required=False)
    name = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200)


class StreamOptionsSerializer(serializers.Serializer):
    include_usage = StrictBooleanField(required=False, default=False)


class ChatCompletionRequestSerializer(serializers.Serializer):
    model = ChatModelField(max_length=200, help_text=f"`{MODEL_ID}` (see GET /v1/models).")
    messages = serializers.ListField(
        child=ChatMessageSerializer(),
        min_length=1,
        max_length=500,
        help_text="The last user message is the question; other messages are not used.",
    )
    stream = StrictBooleanField(required=False, default=False)
    stream_options = StreamOptionsSerializer(required=False, allow_null=True)
    max_tokens = StrictIntegerField(min_value=1, max_value=8192, required=False, allow_null=True)
    max_completion_tokens = StrictIntegerField(min_value=1, max_value=8192, required=False, allow_null=True)
    temperature = StrictFloatField(min_value=0, max_value=2, required=False, allow_null=True)
    top_p = StrictFloatField(min_value=0.000001, max_value=1, required=False, allow_null=True)
    seed = StrictIntegerField(min_value=-(2**63), max_value=2**63 - 1, required=False, allow_null=True)
    n = StrictIntegerField(min_value=1, max_value=1, required=False, allow_null=True, help_text="Only 1.")
    conversation = id_field(
        required=False,
        allow_null=True,
        help_text="Groundwork extension: continue this conversation of yours (its saved history is used).",
    )

    def validate_messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        question = self.question_in(messages)
        if not question.strip():
            raise serializers.ValidationError("A user message with text (the question) is required.")
        if len(question) > 4000:
            raise serializers.ValidationError("The question is longer than 4000 characters.")
        return messages

    @staticmethod
    def question_in(messages: list[dict[str, Any]]) -> str:
        """The last user message's text: the question."""
        users = [m for m in messages if m["role"] == "user"]
        return (users[-1].get("content") or "") if users else ""


class ChatMessageOutSerializer(serializers.Serializer):
    role = serializers.CharField(default="assistant")
    content = serializers.CharField()
    refusal = serializers.CharField(allow_null=True)
    citations = CitationSerializer(many=True, help_text="Groundwork extension; OpenAI clients ignore it.")


class ChoiceSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    message = ChatMessageOutSerializer()
    finish_reason = serializers.ChoiceField(choices=["stop", "length"])
    logprobs = serializers.JSONField(allow_null=True)


class UsageSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()


class ChatCompletionSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField(default="chat.completion")
    created = serializers.IntegerField()
    model = serializers.CharField()
    choices = ChoiceSerializer(many=True)
    usage = UsageSerializer()
    conversation = serializers.IntegerField(help_text="Groundwork extension: the saved conversation.")
    citations = CitationSerializer(many=True, help_text="Groundwork extension: the answer's citations.")
    evidence = EvidenceSerializer(
        many=True, help_text="Groundwork extension: the quotes the answer rests on."
    )
    passages = PassageSerializer(many=True, help_text="Groundwork extension: the passages retrieval found.")
    message = MessageSerializer(help_text="Groundwork extension: the saved answer, as /api/ask/ returns it.")


class ModelSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField(default="model")
    created = serializers.IntegerField()
    owned_by = serializers.CharField()
    decoder = serializers.CharField(help_text="Groundwork extension: the decoder that answers.")
    encoder = serializers.CharField(help_text="Groundwork extension: the encoder that embeds.")


class ModelListSerializer(serializers.Serializer):
    object = serializers.CharField(default="list")
    data = ModelSerializer(many=True)  # type: ignore[assignment]  # OpenAI's field; stubs see Serializer.data


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "minLength": 1, "maxLength": 20000},
            {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": 20000},
                "minItems": 1,
                "maxItems": 256,
            },
        ]
    }
)
class EmbeddingInputField(serializers.Field):
    """A string or a non-empty list of strings (token-id arrays are not accepted)."""

    default_error_messages = {
        "invalid": "Must be a string or a list of strings (token arrays are not supported).",
        "empty": "Must not be empty.",
        "too_many": "At most 256 inputs per request.",
        "too_long": "Each input is at most 20000 characters.",
    }

    def to_internal_value(self, data: Any) -> list[str]:
        items = [data] if isinstance(data, str) else data
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            self.fail("invalid")
        if not items or any(not item for item in items):
            self.fail("empty")
        if len(items) > 256:
            self.fail("too_many")
        if any(len(item) > 20000 for item in items):
            self.fail("too_long")
        return [clean_text(item) for item in items]

    def to_representation(self, value: Any) -> Any:
        return value


class EmbeddingRequestSerializer(serializers.Serializer):
    model = EmbeddingModelField(max_length=200, help_text=f"`{MODEL_ID}` or the encoder's name.")
    input = EmbeddingInputField(help_text="A string or a list of up to 256 strings.")
    encoding_format = serializers.ChoiceField(choices=["float", "base64"], required=False, default="float")
    user = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Vectors are not shortened: only the encoder's own size may be asked for.
        dim = get_encoder().dim
        fields["dimensions"] = StrictIntegerField(
            min_value=dim, max_value=dim, required=False, allow_null=True, help_text=f"Only {dim}."
        )
        return fields


class EmbeddingSerializer(serializers.Serializer):
    object = serializers.CharField(default="embedding")
    index = serializers.IntegerField()
    embedding = serializers.JSONField(help_text="A list of floats, or base64 of float32 little-endian.")


class EmbeddingUsageSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()


class EmbeddingListSerializer(serializers.Serializer):
    object = serializers.CharField(default="list")
    data = EmbeddingSerializer(many=True)  # type: ignore[assignment]  # OpenAI's field; stubs see Serializer.data
    model = serializers.CharField()
    usage = EmbeddingUsageSerializer()


class ChatCompletionEventSerializer(serializers.Serializer):
    """One server-sent event of a streamed chat completion."""

    data = serializers.CharField(  # type: ignore[assignment]  # the SSE `data:` line; stubs see Serializer.data
        help_text=(
            "A chat.completion.chunk as JSON (the last one carries `citations`, `evidence`, `passages`, "
            "`conversation` and `message`), then `[DONE]`."
        )
    )
