"""Charts drawn on the server as SVG geometry: no script, nothing from the internet."""

from __future__ import annotations

from typing import Any

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
