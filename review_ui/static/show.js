// The entry on screen, laid out from the one JSON string the server sends (message, header,
// image pane, each row's label and hints, each input's value), and the next entry shown at
// once on Ctrl+Enter while the confirmation is saved. Runs once on page load, after review.js.
//
// Data safety: the entry shown ahead is only a display. The clerk's entry (what was typed and
// marked) travels with the confirm event; if the server refuses it (a rule, a stale version)
// its answer is that entry with every change and mark, shown again; if the event fails or no
// answer comes, the page brings the entry back itself from what it sent. Actions pressed
// meanwhile (Ctrl+Enter, Alt+S, Alt+B) wait for the answer and are dropped on a refusal.
() => {
  let shown = null;    // the data on screen (its `next`: the entry the server claimed ahead)
  let shownSeq = 0;    // bumped on every entry painted: inputs not yet filled carry an older mark
  let laidOut = null;  // the layout key whose inputs exist (the layout event)
  let lastN = null;    // the answer last applied (an event that failed leaves it unchanged)
  let pending = null;  // the confirmation being saved while the next entry is on screen
  const kept = [];     // images loaded ahead (held so the browser keeps them decoded)
  const WAIT_MS = 30000;

  const setSlot = (root, html) => {
    // the same text again (a refused confirmation) leaves the element, and the pane's zoom
    const s = root && root.querySelector(".slot");
    if (s && s.dataset.html !== html) { s.innerHTML = html; s.dataset.html = html; }
  };
  const byId = (id) => document.getElementById(id);
  const saving = (on) => document.body.classList.toggle("sohoa-saving", on);

  const fillRows = (d, fresh) => {
    const mark = String(shownSeq);
    for (let i = 0; ; i++) {
      const cell = byId(`c${i}`);
      if (!cell) break;
      const r = (d.rows || [])[i] || ["", "", ""];
      const slot = cell.querySelector(".slot");
      if (slot && (fresh || slot.dataset.seq !== mark)) { setSlot(cell, r[0]); slot.dataset.seq = mark; }
      const inp = document.querySelector(`#f${i}-text input, #f${i}-text textarea`);
      if (inp && (fresh || inp.dataset.seq !== mark)) { inp.value = r[1]; inp.dataset.seq = mark; }
      // a dropdown shows its label (Gradio sets it too, but not when its value is unchanged)
      const drop = document.querySelector(`#f${i}-drop input`);
      if (drop && (fresh || drop.dataset.seq !== mark)) {
        if (r[0]) drop.value = r[2] || "";
        drop.dataset.seq = mark;
      }
    }
  };
  const preload = (nx) => {
    (nx && nx.imgs ? nx.imgs : []).forEach((src) => {
      const im = new Image();
      im.src = src;
      if (im.decode) im.decode().catch(() => {});
      kept.push(im);
    });
    kept.splice(0, Math.max(0, kept.length - 60));
  };
  const paint = (d, msg) => {
    shown = d; shownSeq += 1;
    setSlot(byId("msg"), msg || "");
    setSlot(byId("entry-head"), d.head || "");
    setSlot(byId("entry-crop"), d.pane || "");
    fillRows(d, true);
    preload(d.next);
  };
  const ready = () => !(shown && (shown.layout || "") !== (laidOut || "")
                        && shown.rows && shown.rows.length);

  const settle = () => {
    const p = pending; pending = null;
    if (p) clearTimeout(p.timer);
    if (p) { try { sessionStorage.removeItem("sohoa-unsaved"); } catch (e) { /* private */ } }
    saving(false);
    return p;
  };
  // what the clerk sent for an entry, laid over that entry's data: values and marks
  const overlay = (data, payload) => {
    let sent = {};
    try { sent = JSON.parse(payload); } catch (e) { sent = {}; }
    const values = sent.values || {}; const marks = sent.illegible || [];
    const d = Object.assign({}, data);
    d.rows = (d.rows || []).map((r) => {
      const m = /data-field="([^"]+)"/.exec(r[0] || "");
      const name = m ? m[1] : "";
      if (!name || !(name in values)) return r;
      return /data-choices=/.test(r[0]) ? [r[0], r[1], values[name]] : [r[0], values[name], r[2]];
    });
    d.head = (d.head || "").replace(/data-illegible="[^"]*"/, `data-illegible="${marks.join(",")}"`);
    return d;
  };
  // no answer, or the event failed: the entry the clerk confirmed comes back as they left it
  const bringBack = () => {
    const p = settle();
    if (!p) return;
    const d = overlay(p.fromData, p.payload);
    paint(d, (d.notes || {}).failed || "");
    window.sohoaFocus(true);
  };
  // the page itself was reloaded (Gradio does so when it loses the server) while an entry was
  // being saved: once the server shows that entry again, unsaved, the clerk's work is laid over
  const STASH = "sohoa-unsaved";
  const stash = (p) => {
    try { sessionStorage.setItem(STASH, JSON.stringify({ entry: p.fromData.entry,
      version: p.fromData.version, payload: p.payload })); } catch (e) { /* private mode */ }
  };
  const unstash = (d) => {
    let st = null;
    try { st = JSON.parse(sessionStorage.getItem(STASH) || "null"); } catch (e) { st = null; }
    if (!st || !d || d.entry === undefined || d.entry === null) return d;
    sessionStorage.removeItem(STASH);
    if (st.entry !== d.entry || st.version !== d.version) return d;  // saved, or changed since
    const back = overlay(d, st.payload);
    back.msg = (d.notes || {}).failed || d.msg;
    return back;
  };

  // the answer for the entry shown ahead: it is now the clerk's; what they did meanwhile stays
  const landed = (d, p) => {
    shown = d;
    setSlot(byId("msg"), d.msg || "");
    const fresh = document.createElement("template");
    fresh.innerHTML = d.head || "";
    const left = fresh.content.querySelector(".left"); const here = document.querySelector("#entry-head .left");
    if (left && here) here.textContent = left.textContent;
    p.touched.forEach((v, id) => { const inp = document.querySelector(`#${id} input`); if (inp) inp.value = v; });
    preload(d.next);
    p.queued.forEach((fn) => setTimeout(fn, 0));
  };

  window.sohoaShow = (raw, layout) => {
    const fresh = typeof raw === "string" && raw !== "";
    if (typeof layout === "string") laidOut = layout;  // after the layout event
    if (fresh) {
      let d;
      try { d = JSON.parse(raw); } catch (e) { return; }
      if (d.n !== undefined && d.n === lastN) {  // the same answer again: the event failed
        if (pending) bringBack();
        return;
      }
      const first = lastN === null;
      lastN = d.n;
      const p = settle();
      if (p && d.entry === p.to && d.version === p.toVersion) { landed(d, p); return; }
      if (first) d = unstash(d);
      paint(d, d.msg || "");
    } else if (shown) fillRows(shown, false);
    if (!shown || !ready()) return;  // a new template: the cursor waits for its inputs
    window.sohoaFocus();
  };

  // Ctrl+Enter (the confirm event's js, with the payload it sends): show the entry claimed
  // ahead now, with the cursor in place, while the server saves this one.
  window.sohoaAhead = (payload) => {
    if (pending || !shown || !shown.next || !shown.entry || !ready()) return false;
    const nx = shown.next;
    if ((nx.layout || "") !== (laidOut || "")) return false;
    pending = { payload, fromData: shown, to: nx.entry, toVersion: nx.version, sent: false,
                touched: new Map(), queued: [], timer: setTimeout(bringBack, WAIT_MS) };
    saving(true);
    stash(pending);
    paint(Object.assign({}, nx, { notes: shown.notes, next: null }),
          (shown.notes || {}).saving || "");
    window.sohoaFocus(true);
    return true;
  };
  // The confirm event's payload: what was collected when the next entry was shown (the keys),
  // or collected now and the next entry shown (a click on the button).
  window.sohoaPayload = () => {
    if (pending && !pending.sent) { pending.sent = true; return pending.payload; }
    const c = window.sohoaCollect();
    if (window.sohoaAhead(c)) pending.sent = true;
    return c;
  };
  // Ctrl+Enter: the next entry is drawn first, and the confirm event (Gradio's work on a
  // click) starts once that frame is on screen. Leaving a dropdown, its typed value must be
  // committed first (blur), which takes Gradio a moment: then the button is clicked later.
  window.sohoaConfirm = () => {
    const a = document.activeElement;
    const drop = !!(a && a.closest && a.closest(".fdrop"));
    if (a && a.blur) a.blur();
    const click = () => { const b = byId("btn-confirm"); if (b) b.click(); };
    if (drop) { setTimeout(click, 30); return; }
    if (window.sohoaAhead(window.sohoaCollect())) requestAnimationFrame(() => setTimeout(click, 0));
    else click();
  };
  window.sohoaSeq = () => shownSeq;  // which entry painting is on screen (review.js: keys)
  window.sohoaWhenSaved = (fn) => {
    if (!pending) return false;
    pending.queued.push(fn);
    return true;
  };
  window.sohoaFailed = () => { if (pending) bringBack(); };
  document.addEventListener("input", (ev) => {
    // a dropdown changed by the clerk before the answer: Gradio's update must not undo it
    const wrap = pending && ev.isTrusted && ev.target.closest && ev.target.closest("#entry-fields .fdrop");
    if (wrap && wrap.id) pending.touched.set(wrap.id, ev.target.value);
  }, true);
}
