FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only SITE_URL=https://collectstatic.invalid \
    python manage.py collectstatic --noinput \
    && useradd --create-home spatheory && mkdir -p /app/var/media && chown -R spatheory /app/var
USER spatheory

EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "spatheory.wsgi"]
