"""The chat: conversations, a streamed answer over server-sent events, saved turns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from app.models import Message
from app.services.answers import AnswerDone, AnswerEvent, AnswerStarted, AnswerToken, answer_question
from app.services.visibility import visible_conversations
from app.sse import event_stream, sse_event


class AskForm(forms.Form):
    question = forms.CharField(max_length=4000, strip=True)
    conversation = forms.IntegerField(required=False, min_value=1)


def message_payload(message: Message) -> dict[str, Any]:
    """A saved message as the chat page's script renders it (also embedded on reload)."""
    return {
        "id": message.pk,
        "role": message.role,
        "content": message.content,
        "status": message.status,
        "passages": message.passages,
        "citations": message.citations,
        "attention": message.attention,
        "stats": message.stats,
    }


def _events(stream: Iterator[AnswerEvent]) -> Iterator[bytes]:
    """Answer events as server-sent events. Closing this closes the answer stream."""
    try:
        for event in stream:
            if isinstance(event, AnswerStarted):
                yield sse_event(
                    "start",
                    {
                        "conversation": event.conversation.pk,
                        "title": event.conversation.title,
                        "question": event.question.pk,
                        "passages": event.passages,
                    },
                )
            elif isinstance(event, AnswerToken):
                yield sse_event("token", {"text": event.text})
            elif isinstance(event, AnswerDone):
                yield sse_event("done", {"message": message_payload(event.message)})
    except Exception as error:  # the stream has started: report in-band, not as a 500
        yield sse_event("error", {"message": f"The answer failed: {type(error).__name__}"})
        raise
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


@login_required
def chat(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    conversations = visible_conversations(request.user)[:100]
    conversation = get_object_or_404(visible_conversations(request.user), pk=pk) if pk else None
    messages = [message_payload(m) for m in conversation.messages.all()] if conversation else []
    return render(
        request,
        "chat.html",
        {"conversations": conversations, "conversation": conversation, "messages_data": messages},
    )


@login_required
@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    """Stream an answer as `text/event-stream`: start, token..., done (or error)."""
    form = AskForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    conversation = None
    if form.cleaned_data["conversation"]:
        conversation = get_object_or_404(
            visible_conversations(request.user), pk=form.cleaned_data["conversation"]
        )
    stream = answer_question(request.user, form.cleaned_data["question"], conversation=conversation)  # type: ignore[arg-type]
    return event_stream(_events(stream))


@login_required
@require_POST
def delete_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(visible_conversations(request.user), pk=pk).delete()
    return redirect("chat")
