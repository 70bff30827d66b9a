"""Charts drawn on the server as SVG geometry: no script, nothing from the internet."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

BAR_HEIGHT = 22
LABEL_WIDTH = 260
PLOT_WIDTH = 360


def bar_chart(
    items: list[tuple[str, float | int | None]], *, title: str, as_percent: bool = False
) -> dict[str, Any]:
    """Horizontal bars, one per (label, value)."""
    values = [v for _label, v in items if v is not None]
    top = 1.0 if as_percent else max(values, default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        shown = 0 if value is None else value
        bars.append(
            {
                "label": label,
                "y": index * (BAR_HEIGHT + 8),
                "width": round(PLOT_WIDTH * shown / top, 1),
                "text": "—" if value is None else (f"{value * 100:.0f}%" if as_percent else str(value)),
                "low": as_percent and value is not None and value < 0.9,
            }
        )
    return {
        "title": title,
        "bars": bars,
        "height": max(len(bars), 1) * (BAR_HEIGHT + 8),
        "label_width": LABEL_WIDTH,
        "plot_width": PLOT_WIDTH,
        "bar_height": BAR_HEIGHT,
    }


def trend_chart(weeks: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Weekly columns of requests received, with the on-time share as a line over them."""
    width, height = 640, 180
    # At least eight slots, so that a short period does not draw one enormous column.
    step = width / max(len(weeks), 8)
    top = max((w["received"] for w in weeks), default=0) or 1
    columns, points = [], []
    for index, week in enumerate(weeks):
        column_height = round((height - 30) * week["received"] / top, 1)
        x = round(index * step + step * 0.15, 1)
        columns.append(
            {
                "x": x,
                "y": height - 20 - column_height,
                "width": round(step * 0.7, 1),
                "height": column_height,
                "label": week["week_start"].strftime("%m-%d"),
                "received": week["received"],
                "share": week["on_time_share"],
            }
        )
        if week["on_time_share"] is not None:
            points.append(
                f"{x + step * 0.35:.1f},{(height - 20) - (height - 30) * week['on_time_share']:.1f}"
            )
    return {"title": title, "columns": columns, "points": " ".join(points), "width": width, "height": height}


# Rates against targets: per department a name line (wrapped, never cut) over two bars.
# Narrow enough to stay legible when a phone scales it down to its width.
TARGET_WIDTH = 420
TARGET_PLOT_X = 84
TARGET_PLOT_WIDTH = 190
TARGET_BAR = 16
NAME_FONT = 13
NAME_LINE = 17
AXIS_HEIGHT = 26
TICKS = [0, 0.25, 0.5, 0.75, 1.0]


def _text_width(text: str, font_size: float) -> float:
    """About how wide a line is drawn: CJK and full-width characters take a whole em, the rest
    a little over half (the chart has no font metrics; erring wide keeps labels inside)."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return (wide + (len(text) - wide) * 0.62) * font_size


def wrap_label(
    text: str, width: float, *, font_size: float = NAME_FONT, lines: int = 2
) -> tuple[list[str], bool]:
    """The label in at most `lines` lines that fit `width`, breaking between words (anywhere in
    Chinese); whether it had to be shortened (then the chart gives the full name in a title)."""
    out: list[str] = []
    rest = text.strip()
    while rest and len(out) < lines:
        if _text_width(rest, font_size) <= width:
            out.append(rest)
            rest = ""
            break
        cut = len(rest)
        while cut > 1 and _text_width(rest[:cut], font_size) > width:
            cut -= 1
        space = rest.rfind(" ", 0, cut + 1)
        if space > 0 and not any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in rest[space:cut]):
            cut = space
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if not rest:
        return out, False
    last = out[-1]
    while last and _text_width(last + "…", font_size) > width:
        last = last[:-1]
    out[-1] = last.rstrip() + "…"
    return out, True


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def target_chart(units: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Per unit ({"name", "response", "satisfaction", "target": Target}), the response rate and
    the satisfaction rate as horizontal bars on a 0–100 % axis, each with its target drawn as a
    line across it and said in words beside it ("✓ met" / "✗ below target"): never colour alone."""
    measures = [
        ("response", _("Response rate"), pgettext("chart bar", "Response"), "on_time", _("nothing due yet")),
        (
            "satisfaction",
            _("Satisfaction rate"),
            pgettext("chart bar", "Satisfaction"),
            "satisfaction",
            _("no ratings yet"),
        ),
    ]
    groups, y = [], 4
    for unit in units:
        lines, shortened = wrap_label(unit["name"], TARGET_WIDTH - 4)
        name_lines = [{"y": y + NAME_FONT + i * NAME_LINE, "text": text} for i, text in enumerate(lines)]
        bar_y = y + len(lines) * NAME_LINE + 4
        bars, said = [], []
        for index, (key, label, short, target_key, empty) in enumerate(measures):
            value = unit[key]
            target = getattr(unit["target"], target_key)
            met = None if value is None else value >= target
            if value is None:
                verdict = empty
            elif met:
                verdict = _("✓ met")
            else:
                verdict = _("✗ below target")
            shown = "—" if value is None else _percent(value)
            said.append(
                _("%(measure)s %(value)s (target %(target)s): %(verdict)s")
                % {"measure": label, "value": shown, "target": _percent(target), "verdict": verdict}
            )
            top = bar_y + index * (TARGET_BAR + 6)
            bars.append(
                {
                    "label": short,
                    "y": top,
                    "text_y": top + TARGET_BAR - 4,
                    "width": 0 if value is None else round(TARGET_PLOT_WIDTH * min(max(value, 0), 1), 1),
                    "value": shown,
                    "verdict": verdict,
                    "met": met,
                    "target_x": round(TARGET_PLOT_X + TARGET_PLOT_WIDTH * target, 1),
                    "target_top": top - 3,
                    "target_bottom": top + TARGET_BAR + 3,
                }
            )
        groups.append(
            {
                "name": unit["name"],
                "shortened": shortened,
                "lines": name_lines,
                "bars": bars,
                "title": "; ".join([unit["name"], *said]),
                "below": any(bar["met"] is False for bar in bars),
            }
        )
        y = bar_y + len(measures) * (TARGET_BAR + 6) + 12
    axis_y = y
    return {
        "title": title,
        "groups": groups,
        "width": TARGET_WIDTH,
        "height": axis_y + AXIS_HEIGHT,
        "plot_x": TARGET_PLOT_X,
        "plot_end": TARGET_PLOT_X + TARGET_PLOT_WIDTH,
        "plot_width": TARGET_PLOT_WIDTH,
        "value_x": TARGET_PLOT_X + TARGET_PLOT_WIDTH + 8,
        "label_x": TARGET_PLOT_X - 6,
        "axis_y": axis_y,
        "ticks": [
            {"x": round(TARGET_PLOT_X + TARGET_PLOT_WIDTH * tick, 1), "label": _percent(tick)}
            for tick in TICKS
        ],
    }
