"""What every page a person visits must hold, checked in the browser itself.

- no console error (a 4xx/5xx answer to the page or to anything it loads is logged there too);
- no horizontal overflow at phone width;
- every visible button and link-button has text contrast of at least 4.5:1, computed from the
  rendered styles (the colour of the text against the first opaque background behind it);
- no serious or critical axe-core violation (axe-core vendored from the npm registry beside this
  file: nothing is downloaded at test time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

LANGUAGES = ("zh-hans", "zh-hant", "en")

# Contrast of visible buttons, from computed styles. Walks up to the first ancestor with an
# opaque background; treats a translucent background as blended over the one behind it.
CONTRAST_JS = r"""
function parse(c) {
  const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0];
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function lum(rgb) {
  const a = rgb.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
}
function blend(top, bottom) {
  const a = top[3];
  return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
}
function background(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const bg = parse(getComputedStyle(e).backgroundColor);
    if (bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
  }
  let color = [255, 255, 255, 1];
  for (let i = layers.length - 1; i >= 0; i--) color = blend(layers[i], color);
  return color;
}
const out = [];
const els = document.querySelectorAll('button, a.btn, a.weui-btn, .btn, input[type=submit], input[type=button], [role=button], .menu > summary, .bell');
for (const el of els) {
  const r = el.getBoundingClientRect(), st = getComputedStyle(el);
  if (r.width === 0 || r.height === 0 || st.visibility === 'hidden' || st.display === 'none' || Number(st.opacity) === 0) continue;
  const text = (el.innerText || el.value || '').trim();
  if (!text) continue;
  const bg = background(el), fg = blend(parse(st.color), bg);
  const l1 = lum(fg), l2 = lum(bg);
  const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  if (ratio < 4.5) out.push({text: text.slice(0, 40), ratio: Math.round(ratio * 100) / 100, color: st.color, background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')'});
}
return out;
"""

OVERFLOW_JS = r"""
const w = document.documentElement.clientWidth;
const wide = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.right > w + 1 && getComputedStyle(el).position !== 'fixed') {
    let p = el.parentElement, clipped = false;
    for (; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; } }
    if (!clipped) wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' right=' + Math.round(r.right));
  }
}
return {scrollWidth: document.documentElement.scrollWidth, width: w, wide: wide.slice(0, 5)};
"""


def console_errors(driver: Any, *, status: int | None = None) -> list[str]:
    """SEVERE console entries, but for the live-update socket and, when the page is expected to
    answer ``status`` (a 404 page), the browser's note of that status for the page itself."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry.get("level") == "SEVERE"
        and not _websocket(entry["message"])
        and not (status is not None and _own_status(entry["message"], driver.current_url, status))
    ]


def _own_status(message: str, url: str, status: int) -> bool:
    return message.startswith(url) and f"status of {status}" in message


def _websocket(message: str) -> bool:
    """The in-process live server of the page walk speaks HTTP only: its pages' sockets fail to
    connect there. Live updates have their own tests against daphne (test_screen_browser)."""
    return "WebSocket connection to" in message and "/ws/" in message


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    if not driver.execute_script("return typeof window.axe !== 'undefined';"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', description: String(e), nodes: []}])));"
    )
    violations = json.loads(result)
    return [
        {
            "id": v["id"],
            "impact": v.get("impact"),
            "help": v.get("help", v.get("description", "")),
            "nodes": [n.get("target") for n in v.get("nodes", [])][:3],
        }
        for v in violations
        if v.get("impact") in {"serious", "critical"}
    ]


def low_contrast(driver: Any) -> list[dict[str, Any]]:
    return list(driver.execute_script(CONTRAST_JS))


def overflow(driver: Any) -> dict[str, Any] | None:
    info = driver.execute_script(OVERFLOW_JS)
    if info["scrollWidth"] > info["width"] + 1:
        return dict(info)
    return None


def problems(driver: Any, *, phone: bool, status: int | None = None) -> dict[str, Any]:
    """Every failed check on the page now shown (an empty dict when it passes). ``status``: the
    page is meant to answer with this error status (a 404 page), which is then no console error."""
    found: dict[str, Any] = {}
    errors = console_errors(driver, status=status)
    if errors:
        found["console"] = errors
    if phone:
        wide = overflow(driver)
        if wide:
            found["overflow"] = wide
    contrast = low_contrast(driver)
    if contrast:
        found["contrast"] = contrast
    axe = axe_violations(driver)
    if axe:
        found["axe"] = axe
    return found


# A date (2026-12-03, or 2026-12-03 15:20) whose characters sit on more than one line.
WRAPPED_DATES_JS = r"""
const re = /\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?/g;
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!el || el.closest('script, style, template') || !el.getClientRects().length) continue;
  re.lastIndex = 0;
  let m;
  while ((m = re.exec(n.data))) {
    const r = document.createRange();
    r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
    const tops = new Set(Array.from(r.getClientRects()).filter(x => x.width > 0).map(x => Math.round(x.top)));
    if (tops.size > 1) out.push(m[0] + ' in ' + el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''));
  }
}
return out;
"""


def wrapped_dates(driver: Any) -> list[str]:
    """Dates broken across two lines (check at phone width): each must stay whole."""
    return list(driver.execute_script(WRAPPED_DATES_JS))
