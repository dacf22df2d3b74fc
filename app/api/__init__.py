"""The REST API (/api) and the OpenAI-compatible API (/v1).

Views validate input with serializers, call one service function and return; who may
see what is decided in `app.services.visibility` and `app.services.conversations`.
"""
