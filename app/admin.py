"""Django admin: documents with upload and a re-ingest action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from app.api import admin as api_admin  # noqa: F401  (registers ApiTokenAdmin)
from app.models import Chunk, Collection, Document
from app.services.documents import delete_document, reingest_document, upload_documents
from app.users import User, authenticated_user


class DocumentUploadForm(forms.ModelForm):
    """Admin's add form: the file and, optionally, who owns it."""

    class Meta:
        model = Document
        fields = ["file", "owner", "collection"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].required = False
        self.fields["owner"].help_text = "Leave empty to own it yourself."

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than the {settings.UPLOAD_MAX_BYTES / 1024**2:g} MB limit."
            )
        return upload


class ChunkInline(admin.TabularInline):
    model = Chunk
    readonly_fields = ("ordinal", "page", "heading_path", "token_count", "text")
    fields = readonly_fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "format", "status", "chunk_count", "size_bytes", "created_at"]
    list_filter = ["status", "format", "collection"]
    search_fields = ["title", "original_filename", "sha256"]
    readonly_fields = [
        "title",
        "original_filename",
        "format",
        "size_bytes",
        "sha256",
        "status",
        "failure_reason",
        "warnings",
        "page_count",
        "chunk_count",
        "progress_done",
        "progress_total",
        "encoder",
        "created_at",
        "updated_at",
        "started_at",
        "indexed_at",
    ]
    exclude = ["text", "ingest_token"]
    actions = ["reingest"]
    inlines = [ChunkInline]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = DocumentUploadForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["file", "owner", "collection"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else [*self.readonly_fields, "file", "owner"]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.inlines

    def save_model(self, request: HttpRequest, obj: Document, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # Uploads go through the same service as the library page: dedupe, queue.
        owner: User = form.cleaned_data.get("owner") or authenticated_user(request.user)
        outcome = upload_documents(
            owner, [form.cleaned_data["file"]], collection=form.cleaned_data.get("collection")
        )[0]
        if outcome.error:
            messages.error(request, f"{outcome.filename}: {outcome.error}")
        elif outcome.duplicate_of is not None:
            messages.warning(
                request, f"{outcome.filename} duplicates “{outcome.duplicate_of}”; not added again."
            )
        if outcome.document is not None:
            obj.pk, obj.title = outcome.document.pk, outcome.document.title

    def delete_model(self, request: HttpRequest, obj: Document) -> None:
        delete_document(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            delete_document(document)

    @admin.action(description="Re-ingest selected documents")
    def reingest(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            reingest_document(document)
        self.message_user(request, f"{queryset.count()} document(s) queued for ingestion.")


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_evaluation", "created_at"]
