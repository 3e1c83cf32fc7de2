// Pan and zoom of the canvas: the world (boxes and edges) is moved by one CSS transform.
// Zoom is Ctrl+wheel, a pinch, or the toolbar's buttons; a plain wheel is the page's.
// Until the person pans or zooms, the view follows the model: it fits after every change
// (never larger than life, never too small to read), so a small model is always in sight.
const MIN_K = 0.1;
const MAX_K = 2;
const READABLE_K = 0.6;
const MIN_HEIGHT = 320;
const MAX_HEIGHT = 640;
// an error hangs below its node, over the gap (it never moves the layout): below the last
// node there is no gap, so the world is this much taller to keep two lines of it in view
const MESSAGE_ROOM = 36;

export function attachView(el, world) {
  const t = { x: 0, y: 0, k: 1 };
  let follow = true;
  let size = { w: 0, h: 0 };

  const apply = () => {
    world.style.transform = `translate(${t.x}px, ${t.y}px) scale(${t.k})`;
    el.style.setProperty("--dlp-zoom", String(t.k));
  };

  function toWorld(clientX, clientY) {
    const r = el.getBoundingClientRect();
    return { x: (clientX - r.left - t.x) / t.k, y: (clientY - r.top - t.y) / t.k };
  }

  function zoomAt(factor, clientX, clientY) {
    const r = el.getBoundingClientRect();
    const cx = clientX ?? r.left + r.width / 2;
    const cy = clientY ?? r.top + r.height / 2;
    const p = toWorld(cx, cy);
    t.k = Math.min(MAX_K, Math.max(MIN_K, t.k * factor));
    t.x = cx - r.left - p.x * t.k;
    t.y = cy - r.top - p.y * t.k;
    follow = false;
    apply();
  }

  // Everything in view, at most life size; `readable` keeps a big model legible and shows
  // its top instead.
  function fit(readable = false) {
    const vw = el.clientWidth || 600;
    const vh = el.clientHeight || 400;
    let k = Math.min(1, vw / Math.max(1, size.w), vh / Math.max(1, size.h));
    if (readable) k = Math.max(k, READABLE_K);
    t.k = Math.max(MIN_K, k);
    t.x = (vw - size.w * t.k) / 2;
    t.y = size.h * t.k <= vh ? (vh - size.h * t.k) / 2 : 0;
    if (size.w * t.k > vw) t.x = 0;
    apply();
  }

  // Make a box (world coordinates) visible, moving as little as possible.
  function ensureVisible(b, margin = 24) {
    if (!b) return;
    const vw = el.clientWidth;
    const vh = el.clientHeight;
    const left = b.x * t.k + t.x;
    const top = b.y * t.k + t.y;
    const right = left + b.w * t.k;
    const bottom = top + b.h * t.k;
    if (left < margin) t.x += margin - left;
    else if (right > vw - margin) t.x -= Math.min(right - (vw - margin), left - margin);
    if (top < margin) t.y += margin - top;
    else if (bottom > vh - margin) t.y -= Math.min(bottom - (vh - margin), top - margin);
    apply();
  }

  // after a redraw of a world of this size; while following, the canvas grows with the
  // model up to a height that still leaves the notebook around it in sight
  function update(w, h, focusBox) {
    size = { w, h: h + MESSAGE_ROOM };
    if (follow) el.style.height = `${Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, h + 16)))}px`;
    if (follow) fit(true);
    ensureVisible(focusBox);
  }

  // pan: a drag that starts on empty canvas
  let pan = null;
  el.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || e.target.closest(".dlp-node, .dlp-block, .dlp-port, button, .dlp-connect-menu")) return;
    pan = { id: e.pointerId, x: e.clientX, y: e.clientY, tx: t.x, ty: t.y, moved: false };
    el.setPointerCapture?.(e.pointerId);
  });
  el.addEventListener("pointermove", (e) => {
    if (!pan || e.pointerId !== pan.id) return;
    const dx = e.clientX - pan.x;
    const dy = e.clientY - pan.y;
    if (!pan.moved && Math.hypot(dx, dy) < 3) return;
    pan.moved = true;
    follow = false;
    t.x = pan.tx + dx;
    t.y = pan.ty + dy;
    el.classList.add("dlp-panning");
    apply();
  });
  const endPan = (e) => {
    if (!pan || e.pointerId !== pan.id) return;
    el.classList.remove("dlp-panning");
    pan = null;
  };
  el.addEventListener("pointerup", endPan);
  el.addEventListener("pointercancel", endPan);
  // zoom only with Ctrl (a pinch on a touchpad arrives as a wheel with ctrlKey): a plain
  // wheel over the canvas scrolls the notebook, as everywhere else in it
  el.addEventListener("wheel", (e) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    zoomAt(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.clientX, e.clientY);
  }, { passive: false });

  apply();
  return {
    transform: t, toWorld, zoomAt, ensureVisible, update,
    fit: () => { follow = true; fit(true); },
    fitAll: () => { follow = false; fit(false); },
  };
}
