"""Serializers of /api/ask/stream/: the `data` of each server-sent event (`answer_payloads`),
and the event itself."""

from __future__ import annotations

from rest_framework import serializers

from app.api.serializers.answers import EvidenceSerializer, MessageSerializer, PassageSerializer


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
