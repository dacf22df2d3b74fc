"""Retrieval: turn uploaded files into searchable chunks and find them again.

Subpackages and modules are imported by their full path (``retrieval.parsing``,
``retrieval.chunking``...) so that importing one part never drags in the heavy
dependencies (torch, faiss) of another. This package never imports Django or Celery.
"""
