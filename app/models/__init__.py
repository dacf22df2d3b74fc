from app.models.documents import Chunk, Collection, Document

__all__ = ["Chunk", "Collection", "Document"]
