from django import template

from checklists.models import AnswerStatus, ReviewState

register = template.Library()

# Built once: the checklist page calls these for every row.
ANSWER_LABELS: dict[str, str] = dict(AnswerStatus.choices)
REVIEW_LABELS: dict[str, str] = dict(ReviewState.choices)


@register.filter
def answer_label(value: str) -> str:
    return ANSWER_LABELS.get(value, value)


@register.filter
def review_label(value: str) -> str:
    return REVIEW_LABELS.get(value, value)


@register.filter
def clip(value: str, length: int) -> str:
    """`truncatechars` for plain text, without its per-call translation lookup: the checklist
    page clips every row's requirement."""
    value = str(value)
    return value if len(value) <= length else f"{value[: length - 1]}…"
