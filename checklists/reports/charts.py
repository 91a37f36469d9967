"""The posture chart: stacked bars per provider, as geometry a template draws in SVG.

Each bar splits a provider's controls into approved, approved but stale, answered and not yet
approved, and unanswered. Everything the template needs (positions, widths, labels) is worked
out here, so the template only draws.
"""

from dataclasses import dataclass

from checklists.models import AnswerStatus

SEGMENTS = (
    ("approved", "Approved", "#2e7d32"),
    ("stale", "Approval stale", "#f9a825"),
    ("answered", "Answered, not approved", "#1565c0"),
    ("unanswered", "Unanswered", "#bdbdbd"),
)
LABEL_WIDTH = 150
BAR_WIDTH = 330
BAR_HEIGHT = 18
ROW_GAP = 8
LEGEND_HEIGHT = 24


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    colour: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    y: int
    text_y: int
    segments: list[Segment]


@dataclass(frozen=True)
class LegendItem:
    label: str
    colour: str
    x: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bar_x: int
    total_x: int
    bar_height: int
    bars: list[Bar]
    legend: list[LegendItem]
    legend_y: int


def _counts(row: dict) -> dict[str, int]:
    unanswered = row["by_answer"][AnswerStatus.UNANSWERED]
    approved, stale = row["approved"], row["stale"]
    return {
        "approved": approved,
        "stale": stale,
        "answered": max(row["total"] - unanswered - approved - stale, 0),
        "unanswered": unanswered,
    }


def posture_chart(rows: list[dict]) -> Chart:
    """`rows`: the summary's per-provider counts (name, total, approved, stale, by_answer)."""
    bars = []
    for index, row in enumerate(rows):
        counts = _counts(row)
        y = LEGEND_HEIGHT + index * (BAR_HEIGHT + ROW_GAP)
        x = float(LABEL_WIDTH)
        segments = []
        for key, label, colour in SEGMENTS:
            width = BAR_WIDTH * counts[key] / row["total"] if row["total"] else 0.0
            segments.append(Segment(key, label, colour, counts[key], round(x, 2), round(width, 2)))
            x += width
        bars.append(Bar(row["name"], row["total"], y, y + BAR_HEIGHT - 5, segments))
    legend = [
        LegendItem(label, colour, index * 130) for index, (_, label, colour) in enumerate(SEGMENTS)
    ]
    return Chart(
        width=LABEL_WIDTH + BAR_WIDTH + 50,
        height=LEGEND_HEIGHT + len(rows) * (BAR_HEIGHT + ROW_GAP),
        bar_x=LABEL_WIDTH,
        total_x=LABEL_WIDTH + BAR_WIDTH + 6,
        bar_height=BAR_HEIGHT,
        bars=bars,
        legend=legend,
        legend_y=4,
    )
