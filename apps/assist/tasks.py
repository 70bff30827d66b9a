from celery import shared_task

from .classifier import train


@shared_task(name="assist.train")
def train_category_model() -> str:
    model = train()
    return "too few resolved requests to learn from" if model is None else str(model)
