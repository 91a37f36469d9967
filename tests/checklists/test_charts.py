import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from checklists.charts import (
    HEAT_SCALE,
    POSTURE_SEGMENTS,
    bars,
    heat_cell,
    heat_colour,
    heat_legend,
    posture_rows,
    sparkline,
    stacked_bars,
)

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)  # noqa: S314 - markup this test just built
    assert root.tag == f"{NS}svg"
    return root


def text_alternative(root: ET.Element) -> tuple[str, str]:
    """The title and desc the svg's aria-labelledby names, checked to be the ones it names."""
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and desc is not None
    assert root.get("role") == "img"
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert root.get("viewBox").startswith("0 0 ")
    return title.text, desc.text


def all_text(root: ET.Element) -> str:
    return " ".join(t for t in root.itertext())


ROWS = [
    {"label": "GoPay", "approved": 2, "stale": 1, "answered": 1, "unanswered": 0},
    {"label": "WeChat", "approved": 0, "stale": 0, "answered": 0, "unanswered": 3},
]


CHARTS = {
    "stacked": lambda label, title: stacked_bars(
        [{"label": label, "approved": 1, "unanswered": 1}], title=title, segments=POSTURE_SEGMENTS
    ),
    "bars": lambda label, title: bars([{"label": label, "value": 3}], title=title),
    "heat": lambda label, title: heat_cell(0.5, label=label),
    "spark": lambda label, title: sparkline([0.1, 0.5], title=title, labels=[label, "2026-Q4"]),
}


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_each_chart_is_safe_svg_with_a_text_alternative(kind):
    markup = CHARTS[kind]("GoPay", "Posture")
    assert isinstance(markup, SafeString)
    title, desc = text_alternative(parse(markup))
    assert title and desc


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_each_chart_escapes_labels_and_titles(kind):
    markup = CHARTS[kind](HOSTILE, HOSTILE)
    assert "<script>" not in markup
    root = parse(markup)
    assert HOSTILE in all_text(root)  # shown as text, not run


def test_two_charts_on_one_page_have_distinct_ids():
    first, second = parse(bars([], title="A")), parse(bars([], title="B"))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


def test_stacked_bars_draw_a_bar_per_row_with_totals_and_legend():
    root = parse(stacked_bars(ROWS, title="Answers per provider", segments=POSTURE_SEGMENTS))
    _, desc = text_alternative(root)
    assert (
        "GoPay: 4 in all; 2 approved, 1 approval stale, 1 answered, not approved, 0 unanswered."
        in desc
    )
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "Approved" in texts and "Unanswered" in texts  # the legend
    assert "4" in texts and "3" in texts  # the totals
    segment_titles = [t.text for t in root.iter(f"{NS}title")][1:]
    assert segment_titles == [
        "Approved: 2",
        "Approval stale: 1",
        "Answered, not approved: 1",
        "Unanswered: 3",
    ]


def test_stacked_bars_handle_zero_totals_and_empty_input():
    zero = parse(stacked_bars([{"label": "Empty team"}], title="Posture"))
    assert "Empty team: 0 in all" in text_alternative(zero)[1]
    empty = parse(stacked_bars([], title="Posture"))
    assert text_alternative(empty)[1] == "No data."


def test_stacked_bars_link_a_row_when_given_somewhere_to_go():
    root = parse(stacked_bars([{**ROWS[0], "href": "/teams/a/?x=1&y=2"}], title="Posture"))
    assert root.find(f"{NS}a").get("href") == "/teams/a/?x=1&y=2"


def test_bars_scale_to_the_largest_and_print_values_with_unit():
    root = parse(
        bars(
            [{"label": "A", "value": 10}, {"label": "B", "value": 5}], title="Overdue", unit="days"
        )
    )
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect")]
    assert widths[0] == 2 * widths[1]
    assert text_alternative(root)[1] == "A: 10 days. B: 5 days."


def test_bars_handle_all_zero_and_empty():
    root = parse(bars([{"label": "A", "value": 0}], title="Overdue"))
    assert [r.get("width") for r in root.iter(f"{NS}rect")] == ["0"]
    assert text_alternative(parse(bars([], title="Overdue")))[1] == "No data."


def test_heat_cell_prints_its_number_and_colours_by_share():
    root = parse(heat_cell(0.5, label="Acme, GoPay"))
    assert "50 %" in [t.text for t in root.iter(f"{NS}text")]
    assert text_alternative(root) == ("Acme, GoPay", "Acme, GoPay: 50 %.")
    assert heat_colour(0) == HEAT_SCALE[0]
    assert heat_colour(1) == HEAT_SCALE[-1]
    assert heat_colour(1.7) == HEAT_SCALE[-1]
    assert heat_colour(0.5) != heat_colour(0.1)


def test_heat_cell_without_a_share_says_so():
    root = parse(heat_cell(None, label="Acme, WeChat"))
    assert "nothing to measure" in text_alternative(root)[1]


def test_heat_legend_spells_out_its_steps():
    desc = text_alternative(parse(heat_legend()))[1]
    assert desc.startswith("Colour steps, light to dark: 0 to 17 %")


def test_sparkline_prints_first_and_last_values():
    root = parse(
        sparkline([0.25, 0.5, None, 0.75], title="Approved", labels=["Q1", "Q2", "Q3", "Q4"])
    )
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert texts == ["25 %", "75 %"]
    assert text_alternative(root)[1] == "Q1: 25 %; Q2: 50 %; Q3: no data; Q4: 75 %."
    assert len(root.find(f"{NS}polyline").get("points").split()) == 3


def test_sparkline_handles_one_point_and_no_points():
    one = parse(sparkline([0.4], title="Approved"))
    assert [t.text for t in one.iter(f"{NS}text")] == ["40 %", "40 %"]
    none = parse(sparkline([], title="Approved"))
    assert text_alternative(none)[1] == "No data."
    gaps = parse(sparkline([None, None], title="Approved"))
    assert "no data" in text_alternative(gaps)[1]


def test_sparkline_of_plain_numbers():
    root = parse(sparkline([3, 7], title="Queue", as_share=False))
    assert [t.text for t in root.iter(f"{NS}text")] == ["3", "7"]


def test_posture_rows_split_report_summary_rows():
    rows = posture_rows(
        [{"name": "GoPay", "total": 5, "approved": 2, "stale": 1, "by_answer": {"unanswered": 1}}]
    )
    assert rows == [{"label": "GoPay", "approved": 2, "stale": 1, "answered": 1, "unanswered": 1}]
