"""Charts as server-rendered SVG: for pages and for the signed PDF reports (WeasyPrint draws
inline SVG), with no JavaScript and nothing fetched.

Every chart is one `<svg>` with a `viewBox` (it scales to the width of its container), a
`<title>` and a `<desc>` that says the numbers in words, so a screen reader, a text-only
reader and the PDF's text layer get the same facts as the picture. Labels come from users
(team and provider names): every one goes through `format_html`/`escape`.

Colours are colour-blind safe (Okabe-Ito for categories, a viridis-like sequential scale for
shares) and never the only carrier of meaning: counts and shares are printed as text.
"""

from collections.abc import Mapping, Sequence
from itertools import count
from typing import NamedTuple

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
TEXT = "#1f2328"
MUTED = "#57606a"
EMPTY = "#e6e8eb"


class Segment(NamedTuple):
    key: str
    label: str
    colour: str


# A checklist's controls by where they stand, in the order a bar is drawn.
POSTURE_SEGMENTS = (
    Segment("approved", "Approved", "#009e73"),
    Segment("stale", "Approval stale", "#e69f00"),
    Segment("answered", "Answered, not approved", "#56b4e9"),
    Segment("unanswered", "Unanswered", "#bbbbbb"),
)

# Sequential, light to dark, readable by the common colour-vision deficiencies (viridis
# steps); the text colour on each step keeps a contrast of at least 4.5:1.
HEAT_SCALE = (
    ("#fde725", TEXT),
    ("#90d743", TEXT),
    ("#35b779", TEXT),
    ("#21918c", "#ffffff"),
    ("#31688e", "#ffffff"),
    ("#443983", "#ffffff"),
)

_ids = count(1)


def _new_id(kind: str) -> str:
    return f"chart-{kind}-{next(_ids)}"


def _short(label: object, length: int = 23) -> str:
    return Truncator(str(label)).chars(length)


def _num(value: float) -> str:
    """Coordinates with at most two decimals, so the markup stays small and stable."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _pct(share: float) -> str:
    return f"{round(share * 100)} %"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _svg(kind: str, *, width: float, height: float, title: str, desc: str, body: str) -> SafeString:
    chart_id = _new_id(kind)
    head = format_html(
        '<svg xmlns="{}" class="chart chart-{}" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{}-title {}-desc" '
        'font-family="{}" font-size="11" fill="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        SVG_NS,
        kind,
        _num(width),
        _num(height),
        chart_id,
        chart_id,
        FONT,
        TEXT,
        chart_id,
        title,
        chart_id,
        desc,
    )
    # Every piece of `body` was built with format_html, which escapes each value it fills in.
    return mark_safe(f"{head}{body}</svg>")  # noqa: S308


def _link(href: str | None, inner: str) -> str:
    """Wraps already-escaped markup in a link when there is somewhere to go."""
    if not href:
        return inner
    opening = format_html('<a href="{}">', href)
    return f"{opening}{inner}</a>"


def _legend(segments: Sequence[Segment], y: float) -> str:
    parts = []
    x = 0.0
    for segment in segments:
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="{}" font-size="10">{}</text>',
                _num(x),
                _num(y),
                segment.colour,
                _num(x + 14),
                _num(y + 9),
                segment.label,
            )
        )
        x += 14 + 6.2 * len(segment.label) + 14
    return "".join(parts)


def stacked_bars(
    rows: Sequence[Mapping], *, title: str, segments: Sequence[Segment] = POSTURE_SEGMENTS
) -> SafeString:
    """One bar per row, split into `segments`, with its total at the end.

    A row is a mapping with `label`, a count under each segment's key, and optionally `href`
    (the bar then links to the list behind it). A row with nothing in it draws an empty track.
    """
    label_w, bar_w, bar_h, gap, legend_h = 160.0, 300.0, 18.0, 8.0, 26.0
    width = label_w + bar_w + 60
    if not rows:
        return _svg(
            "stacked",
            width=width,
            height=30,
            title=title,
            desc="No data.",
            body=format_html('<text x="0" y="18" fill="{}">No data.</text>', MUTED),
        )
    body = [_legend(segments, 4)]
    sentences = []
    for index, row in enumerate(rows):
        counts = [max(int(row.get(segment.key) or 0), 0) for segment in segments]
        total = sum(counts)
        y = legend_h + index * (bar_h + gap)
        text_y = y + bar_h - 5
        parts = [
            format_html(
                '<text x="0" y="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                _num(text_y),
                _short(row["label"]),
                _num(label_w),
                _num(y),
                _num(bar_w),
                _num(bar_h),
                EMPTY,
            )
        ]
        x = label_w
        for segment, n in zip(segments, counts, strict=True):
            if not n:
                continue
            w = bar_w * n / total
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    _num(x),
                    _num(y),
                    _num(w),
                    _num(bar_h),
                    segment.colour,
                    segment.label,
                    n,
                )
            )
            x += w
        parts.append(
            format_html(
                '<text x="{}" y="{}">{}</text>', _num(label_w + bar_w + 6), _num(text_y), total
            )
        )
        body.append(_link(row.get("href"), "".join(parts)))
        spelled = ", ".join(
            f"{n} {segment.label.lower()}" for segment, n in zip(segments, counts, strict=True)
        )
        sentences.append(f"{row['label']}: {total} in all; {spelled}.")
    height = legend_h + len(rows) * (bar_h + gap)
    return _svg(
        "stacked",
        width=width,
        height=height,
        title=title,
        desc=" ".join(sentences),
        body="".join(body),
    )


def bars(items: Sequence[Mapping], *, title: str, unit: str = "") -> SafeString:
    """A horizontal bar per item (`label`, `value`, optional `href`), scaled to the largest."""
    label_w, bar_w, bar_h, gap = 160.0, 260.0, 16.0, 6.0
    width = label_w + bar_w + 80
    if not items:
        return _svg(
            "bars",
            width=width,
            height=30,
            title=title,
            desc="No data.",
            body=format_html('<text x="0" y="18" fill="{}">No data.</text>', MUTED),
        )
    largest = max(max(float(item["value"] or 0) for item in items), 0)
    suffix = f" {unit}" if unit else ""
    body = []
    sentences = []
    for index, item in enumerate(items):
        value = max(float(item["value"] or 0), 0)
        shown = _num(round(value, 1))
        y = index * (bar_h + gap) + 2
        w = bar_w * value / largest if largest else 0
        body.append(
            _link(
                item.get("href"),
                format_html(
                    '<text x="0" y="{}">{}</text>'
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#0072b2"/>'
                    '<text x="{}" y="{}">{}{}</text>',
                    _num(y + bar_h - 4),
                    _short(item["label"]),
                    _num(label_w),
                    _num(y),
                    _num(w),
                    _num(bar_h),
                    _num(label_w + w + 6),
                    _num(y + bar_h - 4),
                    shown,
                    suffix,
                ),
            )
        )
        sentences.append(f"{item['label']}: {shown}{suffix}.")
    height = len(items) * (bar_h + gap) + 2
    return _svg(
        "bars",
        width=width,
        height=height,
        title=title,
        desc=" ".join(sentences),
        body="".join(body),
    )


def heat_colour(share: float | None) -> tuple[str, str]:
    """(fill, text colour) for a share from 0 to 1; None (nothing to measure) is neutral grey."""
    if share is None:
        return EMPTY, MUTED
    clamped = min(max(float(share), 0.0), 1.0)
    return HEAT_SCALE[min(int(clamped * len(HEAT_SCALE)), len(HEAT_SCALE) - 1)]


def heat_cell(share: float | None, *, label: str, href: str | None = None) -> SafeString:
    """A heat-map cell: its colour from `share`, and the share printed in it, so it reads
    without colour. `label` names what the cell measures ("Acme, GoPay")."""
    fill, ink = heat_colour(share)
    text = "–" if share is None else _pct(share)
    words = f"{label}: {'nothing to measure' if share is None else text}."
    inner = format_html(
        '<rect width="64" height="28" rx="3" fill="{}"/>'
        '<text x="32" y="18.5" text-anchor="middle" font-size="12" font-weight="bold" '
        'fill="{}">{}</text>',
        fill,
        ink,
        text,
    )
    return _svg("heat", width=64, height=28, title=label, desc=words, body=_link(href, inner))


def heat_legend(*, title: str = "Share approved") -> SafeString:
    """The heat scale's steps with the range each covers."""
    step = 1 / len(HEAT_SCALE)
    body = []
    words = []
    for index, (fill, ink) in enumerate(HEAT_SCALE):
        low, high = round(index * step * 100), round((index + 1) * step * 100)
        body.append(
            format_html(
                '<rect x="{}" y="0" width="56" height="20" fill="{}"/>'
                '<text x="{}" y="14" text-anchor="middle" font-size="10" fill="{}">{}–{}</text>',
                index * 56,
                fill,
                index * 56 + 28,
                ink,
                low,
                high,
            )
        )
        words.append(f"{low} to {high} %")
    desc = "Colour steps, light to dark: " + ", ".join(words) + "."
    return _svg(
        "heat-legend",
        width=56 * len(HEAT_SCALE),
        height=20,
        title=title,
        desc=desc,
        body="".join(body),
    )


def sparkline(
    values: Sequence[float | None],
    *,
    title: str,
    labels: Sequence[str] = (),
    as_share: bool = True,
) -> SafeString:
    """A small line over the values (shares 0–1 by default, printed as percentages), the first
    and last printed beside it. A None (a period with nothing to measure) is left out."""
    width, height, pad_x, pad_y, text_w = 220.0, 40.0, 4.0, 6.0, 44.0
    names = list(labels) or [f"point {i + 1}" for i in range(len(values))]

    def fmt(value: float) -> str:
        return _pct(value) if as_share else _num(round(value, 1))

    points = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    words = [
        f"{name}: {'no data' if v is None else fmt(float(v))}"
        for name, v in zip(names, values, strict=False)
    ]
    desc = ("; ".join(words) + ".") if words else "No data."
    if not points:
        body = format_html('<text x="0" y="24" fill="{}">No data.</text>', MUTED)
        return _svg("spark", width=width, height=height, title=title, desc=desc, body=body)
    low = 0.0 if as_share else min(v for _, v in points)
    high = 1.0 if as_share else max(v for _, v in points)
    span = (high - low) or 1.0
    plot_x0, plot_w = text_w + pad_x, width - 2 * text_w - 2 * pad_x
    steps = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = plot_x0 + (plot_w * i / steps if len(values) > 1 else plot_w / 2)
        y = pad_y + (height - 2 * pad_y) * (1 - (v - low) / span)
        return x, y

    coords = [xy(i, v) for i, v in points]
    path = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)
    first, last = points[0][1], points[-1][1]
    parts = [
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
            _num(plot_x0),
            _num(height - pad_y),
            _num(plot_x0 + plot_w),
            _num(height - pad_y),
            EMPTY,
        ),
        format_html(
            '<polyline points="{}" fill="none" stroke="#0072b2" stroke-width="2" '
            'stroke-linejoin="round"/>',
            path,
        ),
    ]
    for x, y in coords:
        parts.append(
            format_html('<circle cx="{}" cy="{}" r="2.5" fill="#0072b2"/>', _num(x), _num(y))
        )
    parts.append(
        format_html(
            '<text x="0" y="{}" font-size="11">{}</text>'
            '<text x="{}" y="{}" font-size="11" text-anchor="end" font-weight="bold">{}</text>',
            _num(height / 2 + 4),
            fmt(first),
            _num(width),
            _num(height / 2 + 4),
            fmt(last),
        )
    )
    return _svg("spark", width=width, height=height, title=title, desc=desc, body="".join(parts))


def posture_rows(summary_rows: Sequence[Mapping]) -> list[dict]:
    """Report summary rows (name, total, approved, stale, by_answer) as `stacked_bars` rows."""
    rows = []
    for row in summary_rows:
        unanswered = row["by_answer"].get("unanswered", 0)
        approved, stale = row["approved"], row["stale"]
        rows.append(
            {
                "label": row["name"],
                "approved": approved,
                "stale": stale,
                "answered": max(row["total"] - unanswered - approved - stale, 0),
                "unanswered": unanswered,
            }
        )
    return rows


__all__ = [
    "POSTURE_SEGMENTS",
    "Segment",
    "bars",
    "heat_cell",
    "heat_colour",
    "heat_legend",
    "posture_rows",
    "sparkline",
    "stacked_bars",
]
