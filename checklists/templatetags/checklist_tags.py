from django import template

from checklists.models import AnswerStatus, ReviewState

register = template.Library()


@register.filter
def answer_label(value: str) -> str:
    return AnswerStatus(value).label if value in AnswerStatus.values else value


@register.filter
def review_label(value: str) -> str:
    return ReviewState(value).label if value in ReviewState.values else value
