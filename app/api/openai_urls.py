"""/v1/...: the OpenAI-compatible endpoints (no trailing slashes, as OpenAI clients call them)."""

from django.urls import path, re_path

from app.api import openai_views
from app.api.errors import not_found_openai

urlpatterns = [
    path("models", openai_views.Models.as_view(), name="openai-models"),
    path("models/<str:model>", openai_views.ModelDetail.as_view(), name="openai-model"),
    path("chat/completions", openai_views.ChatCompletions.as_view(), name="openai-chat-completions"),
    path("embeddings", openai_views.Embeddings.as_view(), name="openai-embeddings"),
    re_path(r"^(?P<path>.*)$", not_found_openai, name="openai-not-found"),
]
