from app.models.api import ApiToken
from app.models.conversations import Conversation, Message
from app.models.documents import Chunk, Collection, Document, IngestionWorker, PageUnit
from app.models.evaluation import EvaluationItem, EvaluationRun

__all__ = [
    "ApiToken",
    "Chunk",
    "Collection",
    "Conversation",
    "Document",
    "EvaluationItem",
    "EvaluationRun",
    "IngestionWorker",
    "Message",
    "PageUnit",
]
