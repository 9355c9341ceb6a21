"""The landscape as a Plotly figure (heatmap, "more real" arrows, marks, paths) and as a standalone HTML page."""
from __future__ import annotations

import numpy as np

COLORBAR_TITLE = "verdict (share of real images that look less real)"
ARROW_COLOUR = "#ff2d55"  # visible on every colour of Viridis
PATH_COLOURS = ("white", "#00e5ff", "#ff9f1c")  # paths: none of them the arrows' red


def _spacing(land) -> float:
    """Distance in (a, b) between neighbouring arrows."""
    step = np.diff(np.unique(land.arrow_ij[:, 1]))
    return float((land.a[1] - land.a[0]) * (step[0] if len(step) else 1))


def _arrow_segments(land, *, scale: float) -> tuple[list, list]:
    """x, y of line segments (None-separated) for each arrow: a shaft and two barbs, length ∝ |gradient|."""
    j, i = land.arrow_ij.T
    x0, y0 = land.a[i], land.b[j]
    xs, ys = [], []
    longest = 0.9 * _spacing(land)
    for px, py, (ga, gb) in zip(x0, y0, land.grad):
        da, db = ga * scale, gb * scale
        length = np.hypot(da, db)
        if length < 1e-9:
            continue  # a flat verdict: no arrow
        da, db = (da, db) if length <= longest else (da * longest / length, db * longest / length)
        ex, ey = px + da, py + db
        for s in (0.35, -0.35):  # barbs at +-20 degrees, a third of the shaft long
            c, sn = np.cos(np.pi - s), np.sin(np.pi - s)
            xs += [ex, ex + 0.35 * (c * da - sn * db), None]
            ys += [ey, ey + 0.35 * (sn * da + c * db), None]
        xs += [px, ex, None]
        ys += [py, ey, None]
    return xs, ys


ARROW_CAP = 90  # arrows of gradients above this percentile are drawn at full length


def arrow_scale(land) -> float:
    """Length per unit of gradient: an arrow at the ARROW_CAP-th percentile of |gradient| spans 0.9 of the spacing.

    The verdict is a piecewise-linear percentile map, so a few gradients are far steeper than the rest; scaled by
    the largest, every other arrow would shrink to a dot. Longer ones are capped (`_arrow_segments`).
    """
    norms = np.hypot(*land.grad.T) if len(land.grad) else np.zeros(1)
    cap = float(np.percentile(norms[norms > 0], ARROW_CAP)) if (norms > 0).any() else 0.0
    return 0.9 * _spacing(land) / cap if cap > 0 else 0.0


def landscape_figure(land, *, paths: dict | None = None, points: dict | None = None, height: int = 620):
    """Heatmap of the verdict over (a, b), arrows to "more real", the plane's marks, and optional paths/points.

    paths: name -> (a, b) arrays (N, 2) drawn as lines; points: name -> (N, 2) drawn as markers. The heatmap cell
    (j, i) carries its flat index j * na + i in customdata, for hover pictures and clicks.
    """
    import plotly.graph_objects as go

    na, nb = len(land.a), len(land.b)
    index = np.arange(nb * na).reshape(nb, na)
    fig = go.Figure(go.Heatmap(
        x=land.a, y=land.b, z=land.verdict, zmin=0, zmax=1, colorscale="Viridis", customdata=index,
        colorbar={"title": {"text": COLORBAR_TITLE, "side": "right"}},
        hovertemplate=f"{land.plane.u_name} %{{x:.2f}} · {land.plane.v_name} %{{y:.2f}}<br>verdict %{{z:.3f}}"
                      "<extra></extra>"))
    xs, ys = _arrow_segments(land, scale=arrow_scale(land))
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": ARROW_COLOUR, "width": 2}, hoverinfo="skip",
                             name=f'"more real": d verdict / d(a, b), length ∝ |gradient| (capped at its {ARROW_CAP}th '
                                  'percentile)'))
    for k, (name, ab) in enumerate((paths or {}).items()):
        ab, colour = np.asarray(ab), PATH_COLOURS[k % len(PATH_COLOURS)]
        fig.add_trace(go.Scatter(x=ab[:, 0], y=ab[:, 1], mode="lines+markers", name=name, line={"color": colour},
                                 marker={"size": 5, "color": colour, "line": {"width": 1, "color": "black"}}))
    marks = {**land.plane.marks, **{k: v for k, v in (points or {}).items()}}
    for name, ab in marks.items():
        ab = np.asarray(ab, dtype=float).reshape(-1, 2)
        fig.add_trace(go.Scatter(x=ab[:, 0], y=ab[:, 1], mode="markers+text", text=[name] * len(ab), name=name,
                                 textposition="top center", marker={"size": 11, "symbol": "x", "color": "white",
                                                                    "line": {"width": 1, "color": "black"}}))
    fig.update_layout(height=height, xaxis_title=f"a: {land.plane.u_name} (sd)",
                      yaxis_title=f"b: {land.plane.v_name} (sd)",
                      margin={"l": 10, "r": 10, "t": 30, "b": 10}, showlegend=True,
                      legend={"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0})
    fig.update_xaxes(range=[land.a[0], land.a[-1]], constrain="domain")
    fig.update_yaxes(range=[land.b[0], land.b[-1]], scaleanchor="x")
    return fig


# Shows the hovered cell's image in a fixed corner: Plotly's hover labels cannot hold pictures.
_HOVER_JS = """
var plot = document.getElementById('{plot_id}');
var box = document.createElement('img');
box.style.cssText = 'position:fixed;bottom:12px;right:12px;width:128px;image-rendering:pixelated;'
  + 'border:1px solid #888;background:#fff;display:none;z-index:10';
document.body.appendChild(box);
plot.on('plotly_hover', function(e) {
  var p = e.points[0]; if (p.curveNumber !== 0) return;
  box.src = plot.layout.meta.thumbnails[p.customdata]; box.style.display = 'block';
});
plot.on('plotly_unhover', function() { box.style.display = 'none'; });
"""


def write_landscape_html(land, path, *, scale: int = 2) -> None:
    """A standalone HTML page of the landscape whose hover shows the image at each grid point."""
    from .embed import thumbnails

    fig = landscape_figure(land)
    fig.layout.meta = {"thumbnails": thumbnails(land.images, scale=scale)}
    fig.write_html(str(path), include_plotlyjs=True, post_script=_HOVER_JS)
