"""PNG drawing shared by the charts, the maps and the action pages: matplotlib without pyplot
(safe in the API's threads)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

DPI = 200


def png_bytes(fig: Figure) -> bytes:
    """The figure as an RGB PNG: no alpha channel, so the PDF holds one image, not two."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    rgb = Image.fromarray(np.asarray(canvas.buffer_rgba())[:, :, :3])
    out = io.BytesIO()
    rgb.save(out, format="PNG", dpi=(fig.dpi, fig.dpi))
    return out.getvalue()
