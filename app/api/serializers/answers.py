"""Serializers of answers: the ask request, and an answer as `answer_payloads` encodes it
(passages, evidence, citations, checks, stats, attention) in its message, its conversation
and the ask response."""

from __future__ import annotations

from rest_framework import serializers

from app.api.fields import NOT_BLANK, StrictCharField, StrictIntegerField, id_field
from app.api.serializers.documents import page_unit_field, table_header_field
from app.models import Conversation, Message


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
    page_unit = page_unit_field()


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
    table_header_text = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text=(
            "When the quote is a row of a table, that table's header rows as printed in the "
            "document (cells joined by ' | '), which say which figure is which; empty otherwise."
        ),
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
    page_unit = page_unit_field()


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
        help_text="How likely the quotes answer the question (0-1): the best of the first three; "
        "below ANSWER_MIN_EVIDENCE the answer abstains.",
    )
    searched_for = serializers.CharField(
        allow_blank=True,
        help_text="The question as searched when a misspelt word was respelt as your documents "
        'spell it ("Mongke" -> "Möngke"); empty when it was searched as asked.',
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
