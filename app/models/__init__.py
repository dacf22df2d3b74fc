from app.models.conversations import Conversation, Message
from app.models.documents import Chunk, Collection, Document

__all__ = ["Chunk", "Collection", "Conversation", "Document", "Message"]
