# One image for web and worker; installs exactly as the README does.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE \
    DATA_DIR=/data MEDIA_DIR=/data/media INDEX_DIR=/data/index MODEL_CACHE_DIR=/models \
    STATIC_DIR=/srv/groundwork/staticfiles

WORKDIR /srv/groundwork
# Tesseract reads the text of scanned PDF pages (English data ships with the package).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tesseract-ocr \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
COPY scripts/setup.sh scripts/setup.sh
RUN ./scripts/setup.sh && rm -rf /root/.cache/pip
ENV PATH=/srv/groundwork/.venv/bin:$PATH
COPY . .
# Static files are collected into STATIC_DIR, part of the image (not DATA_DIR, a volume at run time).
RUN DATA_DIR=/tmp/build python manage.py collectstatic --noinput --verbosity 0 && rm -rf /tmp/build
# Convert the bundled decoder and export the encoder to ONNX (int8) into MODEL_CACHE_DIR once,
# at build: no container start or request pays for either.
RUN DATA_DIR=/tmp/build python manage.py prepare_models && rm -rf /tmp/build

RUN useradd --system --home /srv/groundwork groundwork \
    && mkdir -p /data /models && chown -R groundwork /data /models
USER groundwork
EXPOSE 8000
CMD ["gunicorn", "app.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
