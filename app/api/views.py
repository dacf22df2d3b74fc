"""REST API views: validate, call one service function, return.

Documents are looked up through `visible_documents` and conversations through
`visible_conversations`, so another user's id is simply not found (404).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from app.api.errors import error_responses
from app.api.exceptions import AnswerFailed as AnswerFailedError
from app.api.exceptions import NotFoundField
from app.api.serializers.answers import (
    AskRequestSerializer,
    AskResponseSerializer,
    ConversationDetailSerializer,
    ConversationSerializer,
    MessageSerializer,
)
from app.api.serializers.documents import (
    DocumentDetailSerializer,
    DocumentFilterSerializer,
    DocumentSerializer,
    ProgressQuerySerializer,
    ProgressSerializer,
    UploadResponseSerializer,
    UploadSerializer,
)
from app.api.serializers.search import SearchRequestSerializer, SearchResponseSerializer
from app.api.serializers.stream_events import AskStreamEventSerializer
from app.api.uploads import LimitedUploads, check_filename, check_files
from app.models import Conversation, Document, Message
from app.services.answer_payloads import message_payload
from app.services.answers import AnswerFailed, AnswerOptions, AnswerStream, answer_question, run_answer
from app.services.capacity import stream_in_slot
from app.services.documents import delete_document, reingest_document, upload_documents
from app.services.library import find_documents
from app.services.search import search_library
from app.services.visibility import visible_conversations, visible_documents, visible_messages
from app.sse import answer_event_stream
from app.users import authenticated_user

log = logging.getLogger(__name__)


class Pages(PageNumberPagination):
    """`?page=N&page_size=M` (1-500, default 50); a bad page_size is a 400, not ignored."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            message = f"A whole number from 1 to {self.max_page_size}."
            raise serializers.ValidationError({self.page_size_query_param: [message]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


def query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Validated query parameters; a parameter given empty is invalid, not absent."""
    params = request.query_params
    fields = serializer_class().fields
    blank = {
        name: ["May not be blank."]
        for name, field in fields.items()
        if params.get(name, None) == "" and not getattr(field, "allow_blank", False)
    }
    if blank:
        raise serializers.ValidationError(blank)
    parsed = serializer_class(data=params)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


# --- documents ------------------------------------------------------------------------------


class DocumentList(generics.ListAPIView):
    """List the documents you may see (yours; staff: everyone's), newest first."""

    serializer_class = DocumentSerializer
    pagination_class = Pages
    parser_classes = [MultiPartParser]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body: limits that apply while it is being read.
        request.upload_handlers.insert(0, LimitedUploads(request))
        return super().initialize_request(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Document]:
        data = query(DocumentFilterSerializer, self.request)
        return find_documents(
            self.request.user,
            status=data.get("status"),
            format=data.get("format"),
            title_contains=data.get("q"),
        )

    @extend_schema(
        operation_id="documents_list",
        tags=["documents"],
        parameters=[DocumentFilterSerializer],
        responses={200: DocumentSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="documents_upload",
        tags=["documents"],
        summary="Upload one or more documents",
        description=(
            "multipart/form-data with one `files` part per file. Every file is checked first: "
            "one over UPLOAD_MAX_BYTES (or more than UPLOAD_MAX_FILES files) makes the request 413, "
            "an unsupported type 415, and then nothing is stored. Each stored file is queued for "
            "ingestion; poll its `status` (or /api/documents/progress/). A file whose content you "
            "already have is not stored again: its outcome is `duplicate` and names the existing one. "
            "A file that cannot be stored is `failed` with an `error`, alone. `queued: false` means "
            "the file is stored but the ingestion queue is unreachable: it is queued automatically later."
        ),
        request={"multipart/form-data": UploadSerializer},
        responses={
            201: OpenApiResponse(UploadResponseSerializer, description="At least one file was stored."),
            200: OpenApiResponse(UploadResponseSerializer, description="Every file was a duplicate."),
            **error_responses(413),
        },
    )
    def post(self, request: Request) -> Response:
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        files = upload.validated_data["files"]
        bad_names = {f"files.{i}": [r] for i, f in enumerate(files) if (r := check_filename(f.name))}
        if bad_names:
            raise serializers.ValidationError(bad_names)
        check_files(files)
        outcomes = upload_documents(authenticated_user(request.user), files)
        rows = [
            {
                "filename": o.filename,
                "outcome": "failed" if o.error else "duplicate" if o.duplicate_of is not None else "created",
                "document": o.document,
                "queued": (o.queued is not False) if o.created else None,
                "error": o.error,
            }
            for o in outcomes
        ]
        created = any(row["outcome"] == "created" for row in rows)
        body = UploadResponseSerializer({"documents": rows}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OneDocument(APIView):
    def get_object(self, pk: int) -> Document:
        return generics.get_object_or_404(visible_documents(self.request.user), pk=pk)


class DocumentDetail(OneDocument):
    @extend_schema(
        operation_id="documents_retrieve",
        tags=["documents"],
        summary="A document with its chunks",
        responses={200: DocumentDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        documents = visible_documents(request.user).select_related("owner").prefetch_related("chunks")
        return Response(DocumentDetailSerializer(generics.get_object_or_404(documents, pk=pk)).data)

    @extend_schema(
        operation_id="documents_delete",
        tags=["documents"],
        summary="Delete a document, its chunks, vectors and file",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        delete_document(self.get_object(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentReingest(OneDocument):
    @extend_schema(
        operation_id="documents_reingest",
        tags=["documents"],
        summary="Read a document again from its file",
        request=None,
        responses={202: DocumentSerializer, **error_responses(404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        document = self.get_object(pk)
        reingest_document(document)
        document.refresh_from_db()
        return Response(DocumentSerializer(document).data, status=status.HTTP_202_ACCEPTED)


class DocumentProgress(OneDocument):
    @extend_schema(
        operation_id="documents_progress",
        tags=["documents"],
        summary="Ingestion progress of one document",
        responses={200: ProgressSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ProgressSerializer(self.get_object(pk)).data)


class ProgressList(APIView):
    @extend_schema(
        operation_id="documents_progress_many",
        tags=["documents"],
        summary="Ingestion progress of several documents",
        description="Ids you may not see are left out of the answer.",
        parameters=[ProgressQuerySerializer],
        responses={200: ProgressSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request) -> Response:
        ids = [int(i) for i in query(ProgressQuerySerializer, request)["ids"].split(",")]
        return Response(ProgressSerializer(find_documents(request.user, ids=ids), many=True).data)


# --- search -----------------------------------------------------------------------------------


class Search(APIView):
    @extend_schema(
        operation_id="search",
        tags=["search"],
        summary="Semantic search over your indexed documents",
        request=SearchRequestSerializer,
        responses={200: SearchResponseSerializer, **error_responses()},
        examples=[
            OpenApiExample("Search", value={"query": "storm damage in 1844", "top_k": 3}, request_only=True)
        ],
    )
    def post(self, request: Request) -> Response:
        search = SearchRequestSerializer(data=request.data)
        search.is_valid(raise_exception=True)
        data = search.validated_data
        found = search_library(
            request.user,
            data["query"],
            top_k=data.get("top_k") or settings.SEARCH_TOP_K,
            document_ids=data.get("document_ids"),
        )
        payload = {"query": data["query"], "searched_for": found.query, "results": found.results}
        return Response(SearchResponseSerializer(payload).data)


# --- answers ----------------------------------------------------------------------------------


def find_conversation(request: Request, pk: int | None) -> Conversation | None:
    """The caller's conversation `pk` (None when none was asked for); 404 naming the field."""
    if pk is None:
        return None
    conversation = visible_conversations(request.user).filter(pk=pk).first()
    if conversation is None:
        raise NotFoundField("conversation", "No conversation of yours has this id.")
    return conversation


def _start_answer(request: Request, data: dict[str, Any]) -> AnswerStream:
    """Validate the conversation, take an answer slot (503 + Retry-After when the server is
    full: `capacity`), then start the answer (nothing runs until iterated)."""
    options = AnswerOptions(
        mode=data.get("mode"), top_k=data.get("top_k"), max_new_tokens=data.get("max_new_tokens")
    )
    conversation = find_conversation(request, data.get("conversation"))
    return stream_in_slot(
        answer_question(
            authenticated_user(request.user), data["question"], conversation=conversation, options=options
        )
    )


class Ask(APIView):
    @extend_schema(
        operation_id="ask",
        tags=["answers"],
        summary="Answer a question from your documents",
        description=(
            "Retrieves passages from your indexed documents, quotes the sentences that hold the "
            "answer (`answer.evidence`, exact spans in each document), writes a short answer from "
            "them, checks every written sentence against them (`answer.checks`), and saves the turn "
            "in a conversation (pass `conversation` to continue one). When the evidence is too weak, "
            "`answer.status` is `no_evidence`: the answer says the documents do not say, and "
            "`answer.evidence` holds the nearest quotes."
        ),
        request=AskRequestSerializer,
        responses={200: AskResponseSerializer, **error_responses(404)},
        examples=[
            OpenApiExample(
                "Ask",
                value={"question": "What did the storm destroy?", "max_new_tokens": 64},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        ask = AskRequestSerializer(data=request.data)
        ask.is_valid(raise_exception=True)
        outcome = run_answer(_start_answer(request, ask.validated_data))
        if isinstance(outcome, AnswerFailed):
            raise AnswerFailedError(outcome.reason)
        started = outcome.started
        body = {
            "conversation": ConversationSerializer(started.conversation).data,
            "question": {"id": started.question.pk, "content": started.question.content},
            "answer": message_payload(outcome.done.message),
        }
        return Response(body)


class AskStream(APIView):
    @extend_schema(
        operation_id="ask_stream",
        tags=["answers"],
        summary="Answer a question, streamed as server-sent events",
        description=(
            "The same as /api/ask/, as `text/event-stream`; the chat page receives exactly these "
            "events. Each `data` is a JSON object:\n\n"
            "* `start`: conversation, question and answer ids, the retrieved `passages` and the "
            "`evidence` quotes, once retrieval is done;\n"
            "* `token`: `{text}` for each piece of the answer as it is written;\n"
            "* `done`: `{message}`, the saved answer (as in /api/ask/);\n"
            "* `error`: `{error, message}`, the API's error body and the answer saved as `failed`; "
            "it comes first, with no `start`, when search or evidence broke before the answer began.\n\n"
            "Closing the connection stops generation; the partial answer is saved as `cancelled`."
        ),
        request=AskRequestSerializer,
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                AskStreamEventSerializer,
                description=(
                    "Server-sent events: start, token…, then done or error; or error alone (`data` is JSON)."
                ),
            ),
            **error_responses(404),
        },
    )
    def post(self, request: Request) -> StreamingHttpResponse:
        ask = AskRequestSerializer(data=request.data)
        ask.is_valid(raise_exception=True)
        return answer_event_stream(_start_answer(request, ask.validated_data))


# --- conversations ----------------------------------------------------------------------------


class ConversationList(generics.ListAPIView):
    serializer_class = ConversationSerializer
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Conversation]:
        return visible_conversations(self.request.user)

    @extend_schema(
        operation_id="conversations_list",
        tags=["conversations"],
        responses={200: ConversationSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ConversationDetail(APIView):
    @extend_schema(
        operation_id="conversations_retrieve",
        tags=["conversations"],
        summary="A conversation with its messages",
        description="To continue it, POST /api/ask/ (or /api/ask/stream/) with `conversation` set.",
        responses={200: ConversationDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        conversations = visible_conversations(request.user).prefetch_related(
            Prefetch("messages", queryset=Message.objects.order_by("id"))
        )
        conversation = generics.get_object_or_404(conversations, pk=pk)
        body = ConversationSerializer(conversation).data
        return Response({**body, "messages": [message_payload(m) for m in conversation.messages.all()]})


class MessageDetail(APIView):
    @extend_schema(
        operation_id="messages_retrieve",
        tags=["conversations"],
        summary="A message with its evidence, citations, checks and full attention map",
        responses={200: MessageSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(message_payload(generics.get_object_or_404(visible_messages(request.user), pk=pk)))
