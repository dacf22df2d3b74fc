"""Serializers of the REST API, one module per idea: `documents`, `search`, `answers` and
`stream_events` (the `data` of each server-sent event). Import from the module where each
serializer lives; this package re-exports nothing."""
