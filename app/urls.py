from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from app.views import chat, health, library, pages, search

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="chat", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("documents/", library.library, name="library"),
    path("documents/status/", library.statuses, name="document-statuses"),
    path("documents/<int:pk>/", library.document_detail, name="document-detail"),
    path("documents/<int:pk>/pages/", pages.passage_in_document, name="document-passage"),
    path("documents/<int:pk>/pages/<int:page>/", pages.document_page, name="document-page"),
    path("documents/<int:pk>/pages/<int:page>.png", pages.document_page_image, name="document-page-image"),
    path("documents/<int:pk>/delete/", library.document_delete, name="document-delete"),
    path("documents/<int:pk>/reingest/", library.document_reingest, name="document-reingest"),
    path("search/", search.search, name="search"),
    path("chat/", chat.chat, name="chat"),
    path("chat/<int:pk>/", chat.chat, name="conversation"),
    path("chat/<int:pk>/delete/", chat.delete_conversation, name="conversation-delete"),
    path("chat/ask/", chat.ask, name="chat-ask"),
    path("api/", include("app.api.urls")),
    path("v1/", include("app.api.openai_urls")),
    path("tokens/", include("app.views.tokens")),
    path("evaluations/", include("app.evaluation.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
