// The issuing form: rows of lines, live totals through the API's preview, one issue per form.
(function () {
  "use strict";
  const form = document.getElementById("issue");
  const body = document.getElementById("lines");
  const rowTemplate = document.getElementById("line-row");
  // the CSRF cookie is HttpOnly: the token comes from the form
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  let timer = null;
  let sending = false;
  const SAVED = "fapiao.issue.draft";

  // A fresh request id for every view of the page, a page restored by Back included: one
  // submit issues once, and the next view's submit issues a new invoice.
  function freshRequestId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    form.dataset.requestId = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  window.addEventListener("pageshow", freshRequestId);

  function value(id) { const el = document.getElementById(id); return el ? el.value.trim() : ""; }

  function addRow() {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    for (const input of row.querySelectorAll("input, select")) {
      input.setAttribute("aria-label", input.closest("td").dataset.label || input.name);
    }
    showOptional(row);
    row.querySelector(".remove").addEventListener("click", () => { row.remove(); schedule(); });
    row.querySelector('[name="name"]').addEventListener("change", (event) => fillProduct(row, event.target.value));
    body.appendChild(row);
    return row;
  }

  // A catalog product fills its line; on a discount line only what a discount line carries
  // (its code and rate, those of the line it discounts), never a unit, a spec or a price.
  function fillProduct(row, name) {
    const option = [...document.querySelectorAll("#products option")].find((o) => o.value === name);
    if (!option) return;
    const discount = row.querySelector('[name="discount"]').checked;
    row.querySelector('[name="tax_code"]').value = option.dataset.taxCode;
    if (!discount) {
      row.querySelector('[name="unit"]').value = option.dataset.unit;
      row.querySelector('[name="spec"]').value = option.dataset.spec;
      if (option.dataset.price) row.querySelector('[name="unit_price"]').value = option.dataset.price;
    }
    const rate = { "0.13": "13%", "0.09": "9%", "0.06": "6%", "0.05": "5%", "0.03": "3%", "0.01": "1%" }[option.dataset.rate];
    if (rate) row.querySelector('[name="rate"]').value = rate;
    schedule();
  }

  document.getElementById("buyer.name").addEventListener("change", (event) => {
    const option = [...document.querySelectorAll("#customers option")].find((o) => o.value === event.target.value);
    if (!option) return;
    for (const field of ["tax_id", "address", "phone", "bank", "account", "email"]) {
      const key = field === "tax_id" ? "taxId" : field;
      document.getElementById("buyer." + field).value = option.dataset[key] || "";
    }
  });

  function draft() {
    const kind = document.getElementById("kind");
    const lines = [...body.querySelectorAll("tr")].map((row) => {
      const line = {};
      for (const input of row.querySelectorAll("input, select")) {
        if (input.type === "checkbox") line[input.name] = input.checked;
        else if (input.value.trim() !== "") line[input.name] = input.value.trim();
      }
      return line;
    });
    return {
      kind: kind.value,
      channel: kind.selectedOptions[0].dataset.channel,
      mode: value("mode"),
      buyer: {
        name: value("buyer.name"), tax_id: value("buyer.tax_id"), address: value("buyer.address"),
        phone: value("buyer.phone"), bank: value("buyer.bank"), account: value("buyer.account"),
        email: value("buyer.email"), individual: document.getElementById("buyer.individual").checked,
      },
      lines: lines,
      remarks: value("remarks"),
      payee: value("payee"),
      reviewer: value("reviewer"),
      drawer: value("drawer"),
    };
  }

  function showErrors(error) {
    for (const el of form.querySelectorAll(".error")) el.textContent = "";
    if (!error) return;
    const field = error.field || "";
    const match = field.match(/^lines\.(\d+)\.(\w+)$/);
    let target = null;
    if (match) {
      const row = body.querySelectorAll("tr")[Number(match[1])];
      target = row && (row.querySelector('[data-line="' + match[2] + '"]') || row.querySelector('[data-line="name"]'));
    } else {
      target = form.querySelector('[data-for="' + field + '"]');
    }
    const where = target || document.getElementById("form-error");
    where.textContent = error.message;
    const url = helpFor(error.message);
    if (url) {
      const link = document.createElement("a");
      link.className = "help-link";
      link.href = url;
      link.textContent = " " + document.getElementById("help-label").textContent;
      where.append(link);
    }
  }

  // the help article of a refusal that needs more than its sentence
  const helpLinks = JSON.parse(document.getElementById("help-links").textContent || "{}");
  function helpFor(message) {
    for (const [known, url] of Object.entries(helpLinks)) {
      if (message && message.includes(known)) return url;
    }
    return null;
  }

  // A request to the API; a failure that is not the API's refusal (an expired session, a
  // stale page, the network) is told by a message that stays, and the draft is kept.
  async function call(path, payload, extraHeaders) {
    let response;
    try {
      response = await fetch("/api/v1" + path, {
        method: "POST",
        credentials: "same-origin",
        headers: Object.assign({ "Content-Type": "application/json", "X-CSRFToken": csrf }, extraHeaders || {}),
        body: JSON.stringify(payload),
      });
    } catch (failed) {
      return { ok: false, status: 0, body: { message: window.fapiao.text.network }, lost: true };
    }
    if (response.ok) return { ok: true, status: response.status, body: await response.json() };
    const told = await window.fapiao.explain(response);
    const lost = response.status === 401 || response.status === 403 || response.status >= 500;
    return { ok: false, status: response.status, body: told.body || { message: told.message }, link: told.link, lost: lost };
  }

  function keep() { sessionStorage.setItem(SAVED, JSON.stringify(draft())); }

  // The draft to start from: one kept when a submit could not reach the server, else the
  // invoice being copied, else none.
  function startingDraft() {
    const saved = sessionStorage.getItem(SAVED);
    if (saved) {
      sessionStorage.removeItem(SAVED);
      try { return { data: JSON.parse(saved), note: form.dataset.restored }; } catch (ignored) { /* a broken copy */ }
    }
    const copied = document.getElementById("copied-draft");
    const data = copied ? JSON.parse(copied.textContent) : null;
    return data ? { data: data, note: form.dataset.copied } : null;
  }

  function restore(data) {
    const kind = document.getElementById("kind");
    const option = [...kind.options].find((o) => o.value === data.kind && o.dataset.channel === data.channel);
    if (option) option.selected = true;
    for (const id of ["mode", "remarks", "payee", "reviewer", "drawer"]) {
      const el = document.getElementById(id);
      if (el && data[id] !== undefined) el.value = data[id];
    }
    for (const [key, val] of Object.entries(data.buyer || {})) {
      const el = document.getElementById("buyer." + key);
      if (!el) continue;
      if (el.type === "checkbox") el.checked = Boolean(val); else el.value = val;
    }
    for (const line of data.lines || [{}]) {
      const row = addRow();
      for (const input of row.querySelectorAll("input, select")) {
        if (!(input.name in line)) continue;
        if (input.type === "checkbox") input.checked = Boolean(line[input.name]); else input.value = line[input.name];
      }
    }
  }

  async function preview() {
    const result = await call("/invoices/preview", draft());
    if (result.lost) return;  // told when the clerk submits
    if (result.ok) {
      showErrors(null);
      document.getElementById("sum-amount").textContent = result.body.amount;
      document.getElementById("sum-tax").textContent = result.body.tax;
      document.getElementById("sum-total").textContent = result.body.total;
      document.getElementById("sum-words").textContent = result.body.total_in_words;
    } else {
      showErrors(result.body);
    }
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(preview, 300); }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  document.getElementById("add-line").addEventListener("click", () => addRow());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;  // a double click sends once; the request id guards a resubmission
    sending = true;
    document.getElementById("submit").disabled = true;
    try {
      const result = await call("/invoices", draft(), { "Idempotency-Key": form.dataset.requestId });
      if (result.ok) {
        sessionStorage.removeItem(SAVED);
        freshRequestId();
        // a draft the taxpayer's rule sends for approval became a request (202)
        window.location.href = result.body.request
          ? "/requests/" + result.body.request.id + "/"
          : "/invoices/" + result.body.id + "/";
        return;
      }
      if (result.lost) {
        keep();  // a reload or a new sign-in brings the draft back
        window.fapiao.notify(result.body.message, "danger", result.link);
      }
      showErrors(result.body);
    } finally {
      sending = false;
      document.getElementById("submit").disabled = false;
    }
  });

  // A template fills the remarks, payee and reviewer where empty and shows only its optional
  // fields; no template shows them all.
  const templates = JSON.parse((document.getElementById("template-data") || {}).textContent || "[]");
  const chooser = document.getElementById("template");
  function chosenTemplate() {
    return chooser && chooser.value !== "" ? templates[Number(chooser.value)] : null;
  }
  function showOptional(root) {
    const chosen = chosenTemplate();
    for (const el of root.querySelectorAll("[data-optional]")) {
      el.classList.toggle("d-none", Boolean(chosen) && !chosen.fields.includes(el.dataset.optional));
    }
  }
  function applyTemplate() {
    showOptional(form);
    const chosen = chosenTemplate();
    if (!chosen) return;
    for (const id of ["remarks", "payee", "reviewer"]) {
      const el = document.getElementById(id);
      if (el && !el.value.trim() && chosen[id]) el.value = chosen[id];
    }
  }
  if (chooser) chooser.addEventListener("change", () => { applyTemplate(); schedule(); });

  const start = startingDraft();
  if (start) {
    restore(start.data);
    document.getElementById("form-error").textContent = start.note || "";
    schedule();
  } else {
    addRow();
  }
  applyTemplate();
})();
