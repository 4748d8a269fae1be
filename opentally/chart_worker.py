"""What runs in the child process that draws charts (see ``charts.render_svg``).

vl-convert's native code can abort the whole process on some input (a Rust panic is exit status 134,
no Python exception): so the build draws every chart in a child process, and a crash there becomes
a clean error naming the chart. This module is all that process imports besides vl-convert: it is
small, and imports neither Altair nor the rest of the build.

It is also the last lock against loading anything: vl-convert 1.9 blocks data URLs when given
``allowed_base_urls=[]``, but its PNG step still fetches an ``<image>``'s http(s) address and reads
a ``file://`` one from the disk, whatever ``allowed_base_urls`` says. Validation refuses such
addresses; here, in addition, ``initialise`` points every proxy variable at a closed port (vl-convert's
HTTP client honours them) and moves into an empty folder, and ``draw`` refuses to make a PNG of a
drawing whose ``<image>`` addresses are not relative paths on the site.
"""

from __future__ import annotations

import ctypes
import html
import os
import re
import signal
import sys
import tempfile

import vl_convert

from .views import off_site_reason

_CLOSED_PORT = "http://127.0.0.1:9"  # the "discard" port: nothing listens, every request fails at once
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
_IMAGE_HREF = re.compile(r"<image\b[^>]*?\s(?:xlink:)?href=\"([^\"]*)\"")
_folder: tempfile.TemporaryDirectory | None = None


def initialise(log: str | None = None, folder: str | None = None) -> None:
    """Run once when the child process starts: no network, an empty working folder (``folder``, or a
    new one), and what vl-convert prints (warnings, a panic's message) appended to the file ``log``."""
    global _folder
    _die_with_parent()
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    for name in _PROXY_VARIABLES:
        os.environ[name] = _CLOSED_PORT
    os.environ.pop("NO_PROXY", None)
    os.environ.pop("no_proxy", None)
    if folder is None:
        _folder = tempfile.TemporaryDirectory(prefix="opentally-draw-")
        folder = _folder.name
    os.chdir(folder)  # a relative image path finds nothing here


def _die_with_parent() -> None:
    """Ask Linux to end this process when the build that started it ends, however it ends (a serve
    stopped with SIGTERM runs no clean-up): a drawing child must never outlive its build."""
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent ended before the request took effect
        os._exit(1)


def draw(kind: str, spec: dict | str, options: dict, scale: float = 1) -> str | bytes:
    """The spec drawn as SVG text (``kind`` "svg") or PNG bytes ("png"), with vl-convert; or, for
    "svg-png", ``spec`` is an SVG that vl-convert drew, rasterised to PNG bytes."""
    if kind == "svg":
        return vl_convert.vegalite_to_svg(spec, **options)
    if kind == "svg-png":
        _refuse_images(spec)
        return vl_convert.svg_to_png(spec, scale=scale)
    if _has_image_mark(spec):
        _refuse_images(vl_convert.vegalite_to_svg(spec, **options))
    return vl_convert.vegalite_to_png(spec, scale=scale, **options)


def _refuse_images(svg: str) -> None:
    """Stop before rasterising an SVG whose image would be read from another host or from the disk
    (vl-convert 1.9's PNG step ignores allowed_base_urls for <image> addresses)."""
    for href in _IMAGE_HREF.findall(svg):
        reason = off_site_reason(html.unescape(href))
        if reason:
            raise ValueError(f'the chart draws the image "{href[:80]}", which {reason}: the build loads nothing '
                             "from another host or from the disk")


def bundle(snippet: str, vega_lite_version: str) -> bytes:
    """vl-convert's bundle of Vega, Vega-Lite and vega-embed for ``snippet`` (see ``charts.vega_bundle``)."""
    return vl_convert.javascript_bundle(snippet, vl_version=vega_lite_version).encode("utf-8")


def warm_up(options: dict) -> None:
    """Draw a tiny chart, so that vl-convert's engine is started before the first real chart."""
    vl_convert.vegalite_to_svg({"data": {"values": [{"a": 1}]}, "mark": "point",
                                "encoding": {"x": {"field": "a", "type": "quantitative"}}}, **options)


def _has_image_mark(node: object) -> bool:
    if isinstance(node, dict):
        mark = node.get("mark")
        if mark == "image" or (isinstance(mark, dict) and mark.get("type") == "image"):
            return True
        return any(_has_image_mark(v) for k, v in node.items() if k != "data")
    if isinstance(node, list):
        return any(_has_image_mark(v) for v in node)
    return False
