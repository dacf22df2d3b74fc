"""/api/...: documents, search, answers, conversations, the schema and its docs page."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from app.api import views
from app.api.errors import not_found_api

urlpatterns = [
    path("documents/", views.DocumentList.as_view(), name="api-documents"),
    path("documents/progress/", views.ProgressList.as_view(), name="api-documents-progress"),
    path("documents/<int:pk>/", views.DocumentDetail.as_view(), name="api-document"),
    path("documents/<int:pk>/reingest/", views.DocumentReingest.as_view(), name="api-document-reingest"),
    path("documents/<int:pk>/progress/", views.DocumentProgress.as_view(), name="api-document-progress"),
    path("search/", views.Search.as_view(), name="api-search"),
    path("ask/", views.Ask.as_view(), name="api-ask"),
    path("ask/stream/", views.AskStream.as_view(), name="api-ask-stream"),
    path("conversations/", views.ConversationList.as_view(), name="api-conversations"),
    path("conversations/<int:pk>/", views.ConversationDetail.as_view(), name="api-conversation"),
    path("messages/<int:pk>/", views.MessageDetail.as_view(), name="api-message"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    re_path(r"^(?P<path>.*)$", not_found_api, name="api-not-found"),
]
