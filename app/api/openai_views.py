"""OpenAI-compatible endpoints: chat completions answered from your documents, and embeddings.

An OpenAI client pointed at `<server>/v1` with an API token as its key works unchanged:

* `POST /v1/chat/completions`: the **last user message is the question**; it is answered
  by retrieval over the caller's own documents, like /api/ask/. Earlier messages (and
  system prompts) are not used: the grounded prompt is Groundwork's own. To keep a
  follow-up's context, pass the `conversation` id that every response returns
  (`extra_body={"conversation": id}`), which continues that saved conversation.
  Groundwork's answer comes in extra fields OpenAI clients ignore: `citations` on the
  message, and `citations`, `evidence`, `passages`, `conversation` and `message` (the saved
  answer exactly as /api/ask/ returns it) on the response (streaming: on the final chunk).
* `GET /v1/models`: one model, `groundwork`, answering with the configured decoder.
* `POST /v1/embeddings`: the configured encoder's unit vectors (float or base64).
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from app.api import openai_serializers as o
from app.api.errors import error_body, error_responses
from app.api.exceptions import ServerError
from app.api.views import find_conversation
from app.services.answer_payloads import answer_event_payloads, message_payload
from app.services.answers import AnswerFailed, AnswerOptions, AnswerStream, answer_question, run_answer
from app.services.capacity import stream_in_slot
from app.services.embeddings import embed_texts
from app.services.runtime import encoder_name
from app.sse import event_stream, sse_event
from app.users import authenticated_user

log = logging.getLogger(__name__)

CREATED = 1_735_689_600  # 2025-01-01: a fixed `created` for the one model


def decoder_name() -> str:
    return settings.GENERATOR_MODEL or "SmolLM2-135M-Instruct"


def _model_not_found(model: str) -> exceptions.NotFound:
    return exceptions.NotFound(
        f"The model `{model}` does not exist; use `{o.MODEL_ID}`.", code="model_not_found"
    )


class OpenAIView(APIView):
    error_style = "openai"  # errors in OpenAI's shape (see app.api.errors)


def _model() -> dict[str, Any]:
    return {
        "id": o.MODEL_ID,
        "object": "model",
        "created": CREATED,
        "owned_by": "groundwork",
        "decoder": decoder_name(),
        "encoder": encoder_name(),
    }


class Models(OpenAIView):
    @extend_schema(
        operation_id="openai_models_list",
        tags=["openai"],
        responses={200: o.ModelListSerializer, **error_responses(openai=True)},
    )
    def get(self, request: Request) -> Response:
        return Response({"object": "list", "data": [_model()]})


class ModelDetail(OpenAIView):
    @extend_schema(
        operation_id="openai_models_retrieve",
        tags=["openai"],
        responses={200: o.ModelSerializer, **error_responses(404, openai=True)},
    )
    def get(self, request: Request, model: str) -> Response:
        if model != o.MODEL_ID:
            raise _model_not_found(model)
        return Response(_model())


def _finish_reason(payload: dict[str, Any]) -> str:
    return "length" if payload["stats"]["finish_reason"] == "length" else "stop"


def _usage(payload: dict[str, Any]) -> dict[str, int]:
    prompt = int(payload["stats"]["prompt_tokens"])
    completion = int(payload["stats"]["generated_tokens"])
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _extensions(payload: dict[str, Any]) -> dict[str, Any]:
    """Groundwork's extra fields (OpenAI clients ignore them): the saved answer as every
    other client receives it, and its citations, evidence and passages beside it."""
    return {
        "conversation": payload["conversation"],
        "citations": payload["citations"],
        "evidence": payload["evidence"],
        "passages": payload["passages"],
        "message": payload,
    }


def _chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": o.MODEL_ID}
    return sse_event(None, {**body, "choices": [choice], **extra})


def _completion_chunks(events: AnswerStream, include_usage: bool) -> Iterator[bytes]:
    """The answer's events (answer_payloads) inside OpenAI's chunk envelope."""
    created = int(time.time())
    cid = "chatcmpl-pending"
    payloads = answer_event_payloads(events)
    try:
        for name, data in payloads:
            if name == "start":
                cid = f"chatcmpl-{data['question']}"
                yield _chunk(cid, created, {"role": "assistant", "content": ""})
            elif name == "token":
                yield _chunk(cid, created, {"content": data["text"]})
            elif name == "done":
                message = data["message"]
                yield _chunk(cid, created, {}, _finish_reason(message), **_extensions(message))
                if include_usage:
                    body = {"id": cid, "object": "chat.completion.chunk", "created": created}
                    yield sse_event(
                        None, {**body, "model": o.MODEL_ID, "choices": [], "usage": _usage(message)}
                    )
            elif name == "error":
                failed = error_body(ServerError(data["error"]["message"]), "openai")
                yield sse_event(None, {**failed, "message": data["message"]})
                return
        yield b"data: [DONE]\n\n"
    finally:
        payloads.close()  # a client that went away stops the decoder


class ChatCompletions(OpenAIView):
    @extend_schema(
        operation_id="openai_chat_completions",
        tags=["openai"],
        summary="Chat completion answered from your documents (OpenAI-compatible)",
        description=__doc__,
        request=o.ChatCompletionRequestSerializer,
        examples=[
            OpenApiExample(
                "Question",
                value={
                    "model": "groundwork",
                    "messages": [{"role": "user", "content": "What did the storm destroy?"}],
                    "max_tokens": 64,
                },
                request_only=True,
            )
        ],
        responses={
            (200, "application/json"): o.ChatCompletionSerializer,
            (200, "text/event-stream"): OpenApiResponse(
                o.ChatCompletionEventSerializer,
                description="With `stream: true`: chat.completion.chunk events, then [DONE].",
            ),
            **error_responses(404, openai=True),
        },
    )
    def post(self, request: Request) -> Response | StreamingHttpResponse:
        chat = o.ChatCompletionRequestSerializer(data=request.data)
        chat.is_valid(raise_exception=True)
        data = chat.validated_data
        if data["model"] != o.MODEL_ID:
            raise _model_not_found(data["model"])
        options = AnswerOptions(
            max_new_tokens=data.get("max_completion_tokens") or data.get("max_tokens"),
            temperature=data.get("temperature") or 0.0,
            top_p=data.get("top_p") or 1.0,
            seed=data.get("seed"),
        )
        conversation = find_conversation(request, data.get("conversation"))
        events = stream_in_slot(  # 503 + Retry-After when every answer slot is taken
            answer_question(
                authenticated_user(request.user),
                chat.question_in(data["messages"]),
                conversation=conversation,
                options=options,
            )
        )
        if data.get("stream"):
            include_usage = bool((data.get("stream_options") or {}).get("include_usage"))
            return event_stream(_completion_chunks(events, include_usage))
        outcome = run_answer(events)
        if isinstance(outcome, AnswerFailed):
            raise ServerError(outcome.reason)
        started, last = outcome.started, outcome.done
        message = message_payload(last.message)
        body = {
            "id": f"chatcmpl-{started.question.pk}",
            "object": "chat.completion",
            "created": int(last.message.created_at.timestamp()),
            "model": o.MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": message["content"],
                        "refusal": None,
                        "citations": message["citations"],
                    },
                    "finish_reason": _finish_reason(message),
                    "logprobs": None,
                }
            ],
            "usage": _usage(message),
            **_extensions(message),
        }
        return Response(body)


class Embeddings(OpenAIView):
    @extend_schema(
        operation_id="openai_embeddings",
        tags=["openai"],
        summary="Embeddings with the configured encoder (OpenAI-compatible)",
        description="Unit-length vectors, exactly as documents are embedded for search.",
        request=o.EmbeddingRequestSerializer,
        examples=[
            OpenApiExample(
                "Two texts", value={"model": "groundwork", "input": ["granite", "storm"]}, request_only=True
            )
        ],
        responses={200: o.EmbeddingListSerializer, **error_responses(404, openai=True)},
    )
    def post(self, request: Request) -> Response:
        embed = o.EmbeddingRequestSerializer(data=request.data)
        embed.is_valid(raise_exception=True)
        data = embed.validated_data
        if data["model"] not in (o.MODEL_ID, encoder_name()):
            raise _model_not_found(data["model"])
        result = embed_texts(data["input"])
        rows = []
        for index, vector in enumerate(result.vectors):
            if data["encoding_format"] == "base64":
                embedding: Any = base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
            else:
                embedding = [float(x) for x in np.asarray(vector, dtype=np.float32)]
            rows.append({"object": "embedding", "index": index, "embedding": embedding})
        usage = {"prompt_tokens": result.token_count, "total_tokens": result.token_count}
        return Response({"object": "list", "data": rows, "model": result.model, "usage": usage})
