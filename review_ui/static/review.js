// Keyboard-first review screen: passed to Blocks.launch(js=...), runs once on page load.
// Ctrl+Enter confirm · Tab/Enter next field (never leaves the form) · Alt+N next doubtful field
// · Alt+1..4 or ↓ + Enter take a suggestion · Ctrl+I illegible · Alt+M / Alt+C declarant is the
// mother / father · Alt+S skip · Alt+B back to the entry just confirmed · Alt+= Alt+- Alt+0
// Alt+arrows Alt+T zoom, fit, pan and contrast of the image pane.
() => {
  const visible = (el) => !!(el && el.offsetParent !== null);
  const $ = (sel, root) => (root || document).querySelector(sel);
  const rows = () => Array.from(document.querySelectorAll("#entry-fields .frow")).filter(visible);
  // a closed field (its label carries data-choices) is its dropdown, any other its text box:
  // until the layout event has shown the right one, the row has no input (nothing collected)
  const inputOf = (row) => {
    const crop = row && row.querySelector(".crop[data-field]");
    if (!crop) return undefined;
    const sel = crop.dataset.choices ? ".fdrop input" : ".ftext input, .ftext textarea";
    return Array.from(row.querySelectorAll(sel)).find(visible);
  };
  const fieldInputs = () => rows().map(inputOf).filter(Boolean);
  const rowOf = (name) => {
    const crop = document.querySelector(`#entry-fields .crop[data-field="${name}"]`);
    return crop ? crop.closest(".frow") : null;
  };
  const cropOf = (row) => row && row.querySelector(".crop[data-field]");
  const click = (id) => { const b = document.getElementById(id); if (b) b.click(); };
  const commitThen = (fn) => {
    // Blur first so a filterable dropdown commits a typed custom value before the click.
    // (The entry's Ctrl+Enter: window.sohoaConfirm in show.js.)
    const a = document.activeElement;
    if (a && a.blur) a.blur();
    setTimeout(fn, 30);
  };
  const inEntryTab = () => visible(document.getElementById("entry-fields"));
  const inSweep = () => visible(document.getElementById("sweep-save"));
  const setLang = (code) => { document.documentElement.lang = code; };
  setLang(localStorage.getItem("sohoa-lang") === "en" ? "en" : "vi");
  window.sohoaSetLang = (code) => {
    localStorage.setItem("sohoa-lang", code === "en" ? "en" : "vi"); setLang(code);
  };

  // Everything the clerk sees in the inputs, as one JSON string for the confirm event.
  window.sohoaCollect = () => {
    const values = {}; const illegible = [];
    rows().forEach((row) => {
      const crop = cropOf(row);
      if (!crop) return;
      const name = crop.dataset.field;
      const inp = inputOf(row);
      if (inp) values[name] = inp.value;
      const box = row.querySelector(".ill input[type=checkbox]");
      if (box && box.checked) illegible.push(name);
    });
    return JSON.stringify({ values, illegible });
  };

  // ---- image pane: zoom, pan, contrast; the focused field outlined and shown at full size
  const views = {};
  const viewState = (el) => {
    if (!views[el.id]) views[el.id] = { z: 1, x: 0, y: 0, c: 0 };
    return views[el.id];
  };
  const CONTRAST = ["", "contrast(1.7) grayscale(1)", "contrast(2.6) grayscale(1) brightness(1.1)"];
  const wide = () => window.matchMedia("(min-width: 1700px)").matches;
  const natural = (el) => {
    const img = $(".stage img", el);
    return img && img.naturalWidth ? [img.naturalWidth, img.naturalHeight] : null;
  };
  // z = 1: the entry row fitted to the pane's width; the field crop at its natural size
  const limits = (el) => {
    const n = natural(el);
    if (!n) return { min: 1, start: 1 };
    if (el.id === "view-field") {
      const f = Math.min(el.clientWidth / n[0], el.clientHeight / n[1]);
      return { min: Math.min(1, f), start: Math.max(Math.min(1, f), Math.min(2.5, f)) };
    }
    const h = el.clientWidth * n[1] / n[0];
    return { min: 1, start: wide() ? Math.min(3, Math.max(1, 0.8 * el.clientHeight / h)) : 1 };
  };
  const sizeEntry = (el) => {
    // narrow screens: the pane is as tall as the row fitted to its width (no grey band)
    const n = natural(el);
    if (!n || el.id !== "view-entry") return;
    el.style.height = wide() ? "" :
      `${Math.round(Math.min(150, Math.max(56, el.clientWidth * n[1] / n[0])))}px`;
  };
  const apply = (el) => {
    const st = viewState(el); const stage = $(".stage", el);
    if (!stage) return;
    const W = el.clientWidth; const H = el.clientHeight;
    st.z = Math.max(limits(el).min, st.z);
    const sw = stage.offsetWidth * st.z; const sh = stage.offsetHeight * st.z;
    st.x = sw <= W ? (el.id === "view-field" ? 0 : (W - sw) / 2) : Math.min(0, Math.max(W - sw, st.x));
    st.y = sh <= H ? (el.id === "view-field" ? 0 : (H - sh) / 2) : Math.min(0, Math.max(H - sh, st.y));
    stage.style.transform = `translate(${st.x}px, ${st.y}px) scale(${st.z})`;
    const img = $("img", stage);
    if (img) img.style.filter = CONTRAST[st.c];
  };
  const zoomAt = (el, factor, cx, cy) => {
    const st = viewState(el);
    const z = Math.min(10, Math.max(limits(el).min, st.z * factor));
    if (cx === undefined) { cx = el.clientWidth / 2; cy = el.clientHeight / 2; }
    st.x = cx - (cx - st.x) * (z / st.z); st.y = cy - (cy - st.y) * (z / st.z); st.z = z;
    apply(el);
  };
  const fit = (el) => {
    sizeEntry(el);
    const st = viewState(el); st.z = limits(el).start; st.x = 0; st.y = 0; apply(el);
    if (el.id === "view-entry") centreOn(el, $(".fbox.on", el));
  };
  document.addEventListener("load", (ev) => {
    const el = ev.target.closest && ev.target.closest(".viewer");
    if (el) fit(el);
  }, true);
  const centreOn = (el, box) => {
    // keep the outlined field in sight when zoomed in
    const st = viewState(el); const stage = $(".stage", el);
    if (!stage || !box || stage.offsetWidth * st.z <= el.clientWidth) return;
    const bx = (box.offsetLeft + box.offsetWidth / 2) * st.z;
    const by = (box.offsetTop + box.offsetHeight / 2) * st.z;
    st.x = el.clientWidth / 2 - bx; st.y = el.clientHeight / 2 - by; apply(el);
  };
  const showField = (row) => {
    const crop = cropOf(row);
    const name = crop ? crop.dataset.field : "";
    document.querySelectorAll("#view-entry .fbox").forEach((b) =>
      b.classList.toggle("on", b.dataset.field === name));
    const ev = $("#view-entry");
    if (ev) centreOn(ev, $(`.fbox[data-field="${name}"]`, ev));
    const fv = $("#view-field");
    const img = fv && $("img", fv);
    if (!img) return;
    const src = crop ? crop.dataset.crop : "";
    if (img.getAttribute("src") !== src) {
      if (src) img.setAttribute("src", src); else img.removeAttribute("src");
      fit(fv);
    }
    fv.dataset.label = crop ? (crop.querySelector(".flab") || {}).textContent || "" : "";
  };
  document.addEventListener("focusin", (ev) => {
    const row = ev.target.closest && ev.target.closest("#entry-fields .frow");
    if (row) showField(row);
  });
  document.addEventListener("wheel", (ev) => {
    const el = ev.target.closest && ev.target.closest(".viewer");
    if (!el) return;
    ev.preventDefault();
    const r = el.getBoundingClientRect();
    zoomAt(el, ev.deltaY < 0 ? 1.25 : 0.8, ev.clientX - r.left, ev.clientY - r.top);
  }, { passive: false });
  let drag = null;
  document.addEventListener("mousedown", (ev) => {
    const el = ev.target.closest && ev.target.closest(".viewer");
    if (!el || ev.button !== 0) return;
    ev.preventDefault();
    const st = viewState(el);
    drag = { el, x: ev.clientX - st.x, y: ev.clientY - st.y };
  });
  document.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const st = viewState(drag.el); st.x = ev.clientX - drag.x; st.y = ev.clientY - drag.y;
    apply(drag.el);
  });
  document.addEventListener("mouseup", () => { drag = null; });
  document.addEventListener("dblclick", (ev) => {
    const el = ev.target.closest && ev.target.closest(".viewer");
    if (el) fit(el);
  });

  // ---- the entry on screen: static/show.js (sohoaShow, and the next entry shown at once)
  // the entry shown when the clerk last pressed a key in the fields: the deferred focus of a
  // newly shown entry never takes the cursor from a clerk already typing in it
  let keyedSeq = -1;
  const seqNow = () => (window.sohoaSeq ? window.sohoaSeq() : 0);

  // ---- focus: the first doubtful field, its text selected; marks from data-illegible
  let focusedEntry = "";
  window.sohoaFocus = (now) => {
    const run = () => {
      const meta = document.getElementById("entry-meta");
      const marked = new Set(((meta && meta.dataset.illegible) || "").split(",").filter(Boolean));
      document.querySelectorAll("#entry-fields .frow").forEach((row) => {
        const crop = cropOf(row);
        const box = row.querySelector(".ill input[type=checkbox]");
        if (!box) return;
        box.tabIndex = -1;
        const want = !!(crop && marked.has(crop.dataset.field));
        if (box.checked !== want) box.click();
      });
      // (the pane fits its image on the image's load event; here only if it came first,
      // and after the cursor is in place: fitting changes styles, a second layout)
      const ev = $("#view-entry");
      const fitLater = !!(ev && !ev.dataset.ready);
      if (fitLater) ev.dataset.ready = "1";
      const fitPane = () => { if (fitLater && natural(ev)) fit(ev); };
      // a late call (the layout event after the entry) never takes the cursor from a
      // clerk already working in this entry's fields
      const here = document.activeElement;
      const entry = meta ? meta.dataset.entry : "";
      const working = here && here.closest && here.closest("#entry-fields");
      // (a clerk who pressed a key in this entry keeps the cursor even while it is between
      // two fields: a dropdown's choice blurs its input for 30 ms before the next takes it)
      const keyed = keyedSeq === seqNow();
      if (entry && (keyed || (working && entry === focusedEntry))) {
        focusedEntry = entry; if (meta) meta.dataset.focused = "1";
        fitPane();
        return;
      }
      focusedEntry = entry;
      const want = meta ? meta.dataset.focus : "";
      let target = want ? inputOf(rowOf(want)) : null;
      if (!target) target = fieldInputs()[0];
      if (target) { target.focus(); if (target.select) target.select(); }
      else { const b = document.getElementById("btn-confirm"); if (b) b.focus(); }
      if (meta) meta.dataset.focused = "1";  // the cursor is in place (tests wait on it)
      fitPane();
    };
    // (after an event, Gradio renders its outputs first; the entry shown ahead is in place)
    if (now) run(); else setTimeout(run, 30);
  };

  const flagged = (row) => {
    const c = cropOf(row);
    return !!(c && (c.classList.contains("low") || c.classList.contains("bad")));
  };
  const moveTo = (inp) => {
    if (!inp) return;
    inp.focus();
    if (inp.select) inp.select();
    // a dropdown opens its list on focus: keep it closed until the clerk types (no list
    // over the next row); typing or Alt+Down opens it
    if (inp.closest(".fdrop")) {
      setTimeout(() => inp.dispatchEvent(new KeyboardEvent("keydown",
        { key: "Escape", bubbles: true })), 0);
    }
  };
  const listOpen = (inp) => {
    const wrap = inp.closest(".fin");
    return !!(wrap && wrap.querySelector("ul.option-list, ul.options, ul[role=listbox]"));
  };
  const fold = (t) => t.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d").toLowerCase().trim();
  const closeList = (inp) => {
    // a filterable dropdown takes the choice that what was typed names (exactly, else the
    // first that starts with it, diacritics optional); Gradio commits it when it loses focus
    const wrap = inp.closest(".fdrop");
    if (!wrap) return;
    const crop = cropOf(wrap.closest(".frow"));
    const labels = ((crop && crop.dataset.choices) || "").split("|").filter(Boolean);
    const t = inp.value.trim();
    if (!labels.length || !t || labels.some((l) => l.toLowerCase() === t.toLowerCase())) return;
    const m = labels.find((l) => fold(l).startsWith(fold(t)))
      || labels.find((l) => fold(l).includes(fold(t)));
    if (m) { inp.value = m; inp.dispatchEvent(new Event("input", { bubbles: true })); }
  };
  // (a clerk who put the cursor in another field meanwhile keeps it: under load the 30 ms
  // can come after their click or the next key)
  const afterList = (inp, fn) => {
    setTimeout(() => {
      const now = document.activeElement;
      if (now && now !== inp && now.closest && now.closest("#entry-fields .frow")) return;
      inp.blur(); fn();
    }, 30);
  };
  const step = (from, delta) => {
    const all = fieldInputs();
    if (!all.length) return;
    const i = all.indexOf(from);
    const next = all[((i < 0 ? (delta > 0 ? -1 : 0) : i) + delta + all.length) % all.length];
    if (from && from.closest && from.closest(".fdrop")) {
      closeList(from);
      afterList(from, () => moveTo(next));
    } else moveTo(next);
  };
  const sameAs = (who) => {
    // declarant = mother / father: their name, and the relation. The relation is written
    // into the dropdown's box without focusing it (a focused Gradio dropdown re-opens its list
    // and takes the focus back); the page collects what the boxes show.
    const src = inputOf(rowOf(who === "me" ? "meHoTen" : "chaHoTen"));
    const name = inputOf(rowOf("nycHoTen"));
    if (!src || !name) return;
    name.value = src.value;
    name.dispatchEvent(new Event("input", { bubbles: true }));
    const rel = inputOf(rowOf("nycQuanHe"));
    if (rel) rel.value = who === "me" ? "Mẹ" : "Cha";
    const all = fieldInputs();
    const last = rel || name;
    moveTo(all[(all.indexOf(last) + 1) % all.length]);
  };

  // ---- live search of places and names while typing (a suggestion, never a rewrite)
  let timer = null; let seq = 0;
  const liveSearch = (inp) => {
    const row = inp.closest(".frow"); const crop = cropOf(row);
    const kind = crop ? crop.dataset.kind : "";
    if (kind !== "place" && kind !== "name") return;
    clearTimeout(timer);
    const mine = ++seq;
    timer = setTimeout(async () => {
      const q = inp.value;
      let found = [];
      if (q.trim().length >= 2) {
        try {
          const r = await fetch(`sohoa/search?kind=${kind}&q=${encodeURIComponent(q)}`,
                                { credentials: "same-origin" });
          if (r.ok) found = await r.json();
        } catch (e) { found = []; }
      }
      if (mine !== seq) return;
      const box = row.querySelector(".hint .sugg");
      if (!box) return;
      box.innerHTML = "";
      found.slice(0, 4).forEach((v, i) => {
        const b = document.createElement("button");
        b.className = "pick"; b.tabIndex = -1; b.title = `Alt+${i + 1}`; b.dataset.value = v;
        b.textContent = `${i + 1}. ${v}`;
        box.appendChild(b);
      });
      row.classList.toggle("live", found.length > 0);
    }, 90);
  };
  document.addEventListener("input", (ev) => {
    const inp = ev.target;
    if (ev.isTrusted && inp.closest && inp.closest("#entry-fields .fin.ftext")) liveSearch(inp);
  });

  // A suggestion fills its row's input (as if typed, so Gradio sees the change).
  window.sohoaPick = (b) => {
    const row = b.closest(".frow");
    const inp = inputOf(row);
    if (!inp) return;
    inp.value = b.dataset.value;
    inp.dispatchEvent(new Event("input", { bubbles: true }));
    row.querySelectorAll(".pick.active").forEach((x) => x.classList.remove("active"));
    inp.focus(); inp.select();
  };
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest && ev.target.closest("button.pick");
    if (b) { ev.preventDefault(); window.sohoaPick(b); }
  });

  const paneKeys = (ev) => {
    const el = $("#view-entry");
    if (!el) return false;
    const k = ev.key; const code = ev.code;
    if (k === "=" || k === "+" || code === "Equal" || code === "NumpadAdd") { zoomAt(el, 1.25); return true; }
    if (k === "-" || code === "Minus" || code === "NumpadSubtract") { zoomAt(el, 0.8); return true; }
    if (code === "Digit0" || code === "Numpad0") { fit(el); return true; }
    if (code === "KeyT") {
      const st = viewState(el); st.c = (st.c + 1) % CONTRAST.length; apply(el);
      const fv = $("#view-field"); if (fv) { viewState(fv).c = st.c; apply(fv); }
      return true;
    }
    const pan = { ArrowLeft: [80, 0], ArrowRight: [-80, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] }[k];
    if (pan) { const st = viewState(el); st.x += pan[0]; st.y += pan[1]; apply(el); return true; }
    return false;
  };

  document.addEventListener("keydown", (ev) => {
    if (!inEntryTab() && !inSweep()) return;
    const t = ev.target;
    if (ev.isTrusted && t && t.closest && t.closest("#entry-fields")) keyedSeq = seqNow();
    const key = ev.key;
    const stop = () => { ev.preventDefault(); ev.stopPropagation(); };
    // while the entry before is being saved (the next one already on screen), actions wait
    // for the answer, and are dropped if the save was refused (the clerk is brought back)
    const later = (fn) => !!(inEntryTab() && window.sohoaWhenSaved && window.sohoaWhenSaved(fn));
    if (ev.ctrlKey && key === "Enter") {
      stop();
      const go = () => (inEntryTab() && window.sohoaConfirm ? window.sohoaConfirm()
        : commitThen(() => click(inEntryTab() ? "btn-confirm" : "sweep-save")));
      if (!later(go)) go();
      return;
    }
    if (!inEntryTab()) {
      const a = document.activeElement;
      if (key === "Enter" && !ev.shiftKey && !ev.altKey && a && a.closest
          && a.closest("#sweep-rows .fin")) {
        stop();
        const all = Array.from(document.querySelectorAll("#sweep-rows .fin input")).filter(visible);
        const i = all.indexOf(a);
        if (i >= 0 && i < all.length - 1) moveTo(all[i + 1]);
        else commitThen(() => click("sweep-save"));
      }
      return;
    }
    const a = document.activeElement;
    const row = a && a.closest && a.closest("#entry-fields .frow");
    if (ev.altKey && !ev.ctrlKey) {
      const code = ev.code;
      if (code === "KeyS" || code === "KeyB") {
        stop();
        const go = () => commitThen(() => click(code === "KeyS" ? "btn-skip" : "btn-back"));
        if (!later(go)) go();
        return;
      }
      if (code === "KeyM") { stop(); sameAs("me"); return; }
      if (code === "KeyC") { stop(); sameAs("cha"); return; }
      if (code === "KeyN") {
        stop();
        const rs = rows(); const i = rs.indexOf(row);
        for (let k = 1; k <= rs.length; k++) {
          const r = rs[(Math.max(i, -1) + k + rs.length) % rs.length];
          if (flagged(r)) { if (a && a.closest(".fdrop")) closeList(a); moveTo(inputOf(r)); return; }
        }
        return;
      }
      if (/^Digit[1-4]$/.test(code)) {
        const b = row && row.querySelectorAll(".pick")[Number(code.slice(5)) - 1];
        if (b) { stop(); window.sohoaPick(b); }
        return;
      }
      if (paneKeys(ev)) { stop(); return; }
      return;
    }
    if (ev.ctrlKey && (ev.code === "KeyI" || key === "i" || key === "I")) {
      stop();
      const box = row && row.querySelector(".ill input[type=checkbox]");
      if (box) box.click();
      return;
    }
    if (!row) {
      if (key === "Tab" && a && a.closest && a.closest("#entry-main")) {
        stop(); step(null, ev.shiftKey ? -1 : 1);
      }
      return;
    }
    if (key === "Tab") { stop(); step(a, ev.shiftKey ? -1 : 1); return; }
    const text = a.closest(".fin.ftext");
    const picks = Array.from(row.querySelectorAll(".pick"));
    if (text && (key === "ArrowDown" || key === "ArrowUp") && picks.length) {
      stop();
      const i = picks.findIndex((b) => b.classList.contains("active"));
      picks.forEach((b) => b.classList.remove("active"));
      const j = key === "ArrowDown" ? Math.min(picks.length - 1, i + 1) : i - 1;
      if (j >= 0) picks[j].classList.add("active");
      return;
    }
    if (key === "Enter" && !ev.shiftKey && text) {
      // Enter takes the highlighted suggestion, then moves on like Tab; on the last field it
      // confirms.
      stop();
      const act = row.querySelector(".pick.active");
      if (act) window.sohoaPick(act);
      const all = fieldInputs();
      const i = all.indexOf(a);
      if (i >= 0 && i < all.length - 1) moveTo(all[i + 1]);
      else {
        const go = () => (window.sohoaConfirm ? window.sohoaConfirm()
          : commitThen(() => click("btn-confirm")));
        if (!later(go)) go();
      }
    }
  }, true);
}
