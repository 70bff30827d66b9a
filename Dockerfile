FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=portal.settings.production
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip && mkdir -p apps portal && pip install --no-cache-dir -e .
# .dockerignore keeps var/ (database, secret key, tokens, uploads, backups) and .venv/ out.
COPY . .
# collectstatic needs a secret key, not a real one: a throwaway made here, kept in no layer.
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    python manage.py collectstatic --noinput
# The portal runs as a user of its own, not root: it writes only var/ and the uploads volume.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home portal \
    && mkdir -p /app/var /data/uploads \
    && chown portal:portal /app/var /data/uploads \
    && chmod 0700 /app/var /data/uploads
USER portal
EXPOSE 8000
# Workers: gunicorn.conf.py (one per core unless WEB_WORKERS says otherwise).
ENV WEB_BIND=0.0.0.0:8000
CMD ["gunicorn", "portal.wsgi:application"]
