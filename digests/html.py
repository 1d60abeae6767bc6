"""A digest as one self-contained HTML page: styles inline, charts as base64 PNG, no outside links."""

from __future__ import annotations

import base64
from html import escape

from bot.taxonomy import Taxonomy
from digests.charts import handoff_png, heat_png, trend_png
from digests.digest import Digest
from digests.render import HEAT_NOTE, to_reply

__all__ = ["to_html"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:860px;margin:2em auto;color:#222;padding:0 1em}"
    "h1{font-size:1.5em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:left}"
    "blockquote{margin:.6em 0;padding:.3em 1em;border-left:4px solid #c33;background:#faf6f6}"
    ".rule{color:#666;font-size:.9em}img{max-width:100%}"
)


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return f'<p><img alt="{escape(alt)}" src="data:image/png;base64,{data}"></p>'


def to_html(d: Digest, taxonomy: Taxonomy, *, charts: bool = True) -> str:
    """The whole page as a string."""
    reply = to_reply(d, taxonomy)
    body = [f"<h1>{escape(reply.title)}</h1>"]
    for section in reply.sections:
        if section.heading:
            body.append(f"<h2>{escape(section.heading)}</h2>")
        if section.fields:
            rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in section.fields)
            body.append(f"<table>{rows}</table>")
        if section.text.startswith("“"):
            body.append(f"<blockquote>{escape(section.text)}</blockquote>")
        elif section.text:
            items = section.text.split("\n")
            body.append(
                "<ul>"
                + "".join(
                    f'<li class="rule">{escape(x)}</li>' if x in (d.spike_rule, HEAT_NOTE) else f"<li>{escape(x)}</li>"
                    for x in items
                )
                + "</ul>"
            )
    if charts and not d.suppressed:
        body.append(_img(trend_png(d), "Weekly reports of the most reported patterns"))
        body.append(_img(handoff_png(d, taxonomy), "Handoff hotspots matrix"))
        body.append(_img(heat_png(d, taxonomy), "Reports by journey stage and friction kind"))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(reply.title)}</title><style>{_STYLE}</style></head><body>" + "".join(body) + "</body></html>\n"
    )
