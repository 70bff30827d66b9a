FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=portal.settings.production
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip && mkdir -p apps portal && pip install --no-cache-dir -e .
COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
# Workers: gunicorn.conf.py (one per core unless WEB_WORKERS says otherwise).
ENV WEB_BIND=0.0.0.0:8000
CMD ["gunicorn", "portal.wsgi:application"]
