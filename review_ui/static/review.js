// Keyboard-first review screen: passed to Blocks.launch(js=...), runs once on page load.
// Ctrl+Enter confirm · Alt+S skip · Ctrl+I mark the focused field illegible · Enter next field.
() => {
  const visible = (el) => !!(el && el.offsetParent !== null);
  const fieldInputs = () =>
    Array.from(document.querySelectorAll("#entry-fields .frow .fin input, #entry-fields .frow .fin textarea"))
      .filter(visible);
  const click = (id) => { const b = document.getElementById(id); if (b) b.click(); };
  const commitThen = (fn) => {
    // Blur first so a filterable dropdown commits a typed custom value before the click.
    const a = document.activeElement;
    if (a && a.blur) a.blur();
    setTimeout(fn, 40);
  };
  const inEntryTab = () => visible(document.getElementById("entry-fields"));
  const inSweep = () => visible(document.getElementById("sweep-save"));

  // Everything the clerk sees in the inputs, as one JSON string for the confirm event.
  window.sohoaCollect = () => {
    const values = {}; const illegible = [];
    document.querySelectorAll("#entry-fields .frow").forEach((row) => {
      if (!visible(row)) return;
      const crop = row.querySelector(".crop[data-field]");
      if (!crop) return;
      const name = crop.dataset.field;
      const inp = Array.from(row.querySelectorAll(".fin input, .fin textarea")).find(visible);
      if (inp) values[name] = inp.value;
      const box = row.querySelector(".ill input[type=checkbox]");
      if (box && box.checked) illegible.push(name);
    });
    return JSON.stringify({ values, illegible });
  };

  window.sohoaFocus = () => {
    setTimeout(() => {
      const meta = document.getElementById("entry-meta");
      const marked = new Set(((meta && meta.dataset.illegible) || "").split(",").filter(Boolean));
      document.querySelectorAll("#entry-fields .frow").forEach((row) => {
        const crop = row.querySelector(".crop[data-field]");
        const box = row.querySelector(".ill input[type=checkbox]");
        if (!box) return;
        box.tabIndex = -1;
        const want = !!(crop && marked.has(crop.dataset.field));
        if (box.checked !== want) box.click();
      });
      const want = meta ? meta.dataset.focus : "";
      let target = null;
      if (want) {
        const crop = document.querySelector(`#entry-fields .crop[data-field="${want}"]`);
        const row = crop ? crop.closest(".frow") : null;
        if (row) target = Array.from(row.querySelectorAll(".fin input, .fin textarea")).find(visible);
      }
      if (!target) target = fieldInputs()[0];
      if (target) { target.focus(); if (target.select) target.select(); }
      else { const b = document.getElementById("btn-confirm"); if (b) b.focus(); }
    }, 60);
  };

  document.addEventListener("keydown", (ev) => {
    if (!inEntryTab() && !inSweep()) return;
    const key = ev.key;
    if (ev.ctrlKey && key === "Enter") {
      ev.preventDefault(); ev.stopPropagation();
      commitThen(() => click(inEntryTab() ? "btn-confirm" : "sweep-save"));
      return;
    }
    if (ev.altKey && inEntryTab() && (ev.code === "KeyS" || key === "s" || key === "S")) {
      ev.preventDefault(); ev.stopPropagation();
      commitThen(() => click("btn-skip"));
      return;
    }
    if (ev.ctrlKey && inEntryTab() && (ev.code === "KeyI" || key === "i" || key === "I")) {
      ev.preventDefault(); ev.stopPropagation();
      const row = document.activeElement && document.activeElement.closest(".frow");
      const box = row && row.querySelector(".ill input[type=checkbox]");
      if (box) box.click();
      return;
    }
    if (ev.altKey && inEntryTab() && /^Digit[1-4]$/.test(ev.code)) {
      // Alt+1..4: take suggestion n for the focused field.
      const row = document.activeElement && document.activeElement.closest(".frow");
      const b = row && row.querySelectorAll(".pick")[Number(ev.code.slice(5)) - 1];
      if (b) { ev.preventDefault(); ev.stopPropagation(); window.sohoaPick(b); }
      return;
    }
    const a = document.activeElement;
    const box = a && a.closest && a.closest("#entry-fields, #sweep-rows");
    if (key === "Enter" && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && box
        && a.closest(".frow") && a.closest(".fin.ftext")) {
      // Enter in a text field moves on like Tab; on the last field it confirms / saves.
      ev.preventDefault(); ev.stopPropagation();
      const all = Array.from(box.querySelectorAll(".frow .fin input, .frow .fin textarea"))
        .filter(visible);
      const i = all.indexOf(a);
      if (i >= 0 && i < all.length - 1) { all[i + 1].focus(); if (all[i + 1].select) all[i + 1].select(); }
      else commitThen(() => click(box.id === "sweep-rows" ? "sweep-save" : "btn-confirm"));
    }
  }, true);

  // A suggestion fills its row's input (as if typed, so Gradio sees the change).
  window.sohoaPick = (b) => {
    const row = b.closest(".frow");
    const inp = row && Array.from(row.querySelectorAll(".fin input")).find(visible);
    if (!inp) return;
    inp.value = b.dataset.value;
    inp.dispatchEvent(new Event("input", { bubbles: true }));
    inp.focus(); inp.select();
  };
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest && ev.target.closest("button.pick");
    if (b) { ev.preventDefault(); window.sohoaPick(b); }
  });

  // Zoom on the entry crop: click toggles 2x, Ctrl+wheel zooms continuously.
  document.addEventListener("click", (ev) => {
    const img = ev.target.closest && ev.target.closest(".zoomable img");
    if (!img) return;
    const box = img.closest(".zoomable");
    const z = box.dataset.zoom === "2" ? "1" : "2";
    box.dataset.zoom = z; img.style.width = z === "2" ? "200%" : "100%";
  });
  document.addEventListener("wheel", (ev) => {
    const img = ev.target.closest && ev.target.closest(".zoomable img");
    if (!img || !ev.ctrlKey) return;
    ev.preventDefault();
    const box = img.closest(".zoomable");
    const z = Math.min(5, Math.max(1, parseFloat(box.dataset.zoom || "1") * (ev.deltaY < 0 ? 1.2 : 1 / 1.2)));
    box.dataset.zoom = String(z); img.style.width = `${z * 100}%`;
  }, { passive: false });
}
