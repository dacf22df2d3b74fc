"""The staff evaluation pages, included under /evaluations/ by app/urls.py."""

from django.urls import path

from app.views import evaluations

urlpatterns = [
    path("", evaluations.evaluation_list, name="evaluations"),
    path("<int:pk>/", evaluations.evaluation_detail, name="evaluation-detail"),
    path("<int:pk>/json/", evaluations.evaluation_json, name="evaluation-json"),
]
