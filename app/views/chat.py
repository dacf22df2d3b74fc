"""The chat: conversations, a streamed answer over server-sent events, saved turns."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from app.services.answer_payloads import message_payload
from app.services.answers import answer_question
from app.services.capacity import AnswerCapacityExceeded, stream_in_slot
from app.services.visibility import visible_conversations
from app.sse import answer_event_stream
from app.users import authenticated_user


class AskForm(forms.Form):
    question = forms.CharField(max_length=4000, strip=True)
    conversation = forms.IntegerField(required=False, min_value=1)


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
def ask(request: HttpRequest) -> HttpResponseBase:
    """Stream an answer as `text/event-stream`: start, token..., done (or error)."""
    form = AskForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    conversation = None
    if form.cleaned_data["conversation"]:
        conversation = get_object_or_404(
            visible_conversations(request.user), pk=form.cleaned_data["conversation"]
        )
    question = form.cleaned_data["question"]
    try:
        stream = stream_in_slot(
            answer_question(authenticated_user(request.user), question, conversation=conversation)
        )
    except AnswerCapacityExceeded as busy:
        message = "The server is busy answering other questions; try again shortly."
        response = JsonResponse({"error": {"code": "busy", "message": message}}, status=503)
        response["Retry-After"] = str(busy.retry_after)
        return response
    return answer_event_stream(stream)


@login_required
@require_POST
def delete_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(visible_conversations(request.user), pk=pk).delete()
    return redirect("chat")
