// The console's behaviour on every page: the collapsible side menu, searchable selects (Tom
// Select), date pickers (flatpickr), and messages that stay until the clerk closes them (for
// refusals, an expired session and network errors, from htmx or from a page's own requests).
(function () {
  "use strict";
  const script = document.currentScript;
  const english = script && script.dataset.language === "en";
  // the page gives every text, translated (a script carries none of its own)
  const said = (script && script.dataset) || {};
  const text = {
    expired: said.expired, network: said.network, failed: said.failed,
    close: said.close, signIn: said.signIn, none: said.none,
  };

  // A message that stays until closed: in the page's alert area, or as a toast.
  function notify(message, level, link) {
    const box = document.getElementById("toasts");
    if (!box) { window.alert(message); return; }
    const toast = document.createElement("div");
    toast.className = "toast show text-bg-" + (level || "danger");
    toast.setAttribute("role", "alert");
    const body = document.createElement("div");
    body.className = "d-flex";
    const inner = document.createElement("div");
    inner.className = "toast-body";
    inner.textContent = message;
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.target = "_blank";
      a.rel = "noopener";
      a.className = "ms-2 link-light fw-bold";
      a.textContent = link.text;
      inner.appendChild(a);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("aria-label", text.close);
    close.addEventListener("click", () => toast.remove());
    body.append(inner, close);
    toast.appendChild(body);
    box.appendChild(toast);
  }

  // What to tell the clerk about a failed response (JSON ``{message}`` of the API or the pages).
  async function explain(response) {
    if (response.status === 401) {
      return { message: text.expired, link: { href: "/accounts/login/?next=" + encodeURIComponent(location.pathname), text: text.signIn } };
    }
    try {
      const body = await response.clone().json();
      if (body && body.message) return { message: body.message, body: body };
    } catch (ignored) { /* not JSON */ }
    return { message: text.failed };
  }

  window.fapiao = { notify: notify, explain: explain, text: text };

  // the side menu folds away on a wide screen (remembered), and is an off-canvas panel on a phone
  const collapse = document.getElementById("menu-collapse");
  if (collapse) {
    const apply = (folded) => {
      document.body.classList.toggle("menu-folded", folded);
      collapse.setAttribute("aria-expanded", folded ? "false" : "true");
    };
    apply(localStorage.getItem("fapiao.menu") === "folded");
    collapse.addEventListener("click", () => {
      const folded = !document.body.classList.contains("menu-folded");
      localStorage.setItem("fapiao.menu", folded ? "folded" : "open");
      apply(folded);
    });
  }

  function enhance(root) {
    if (window.TomSelect) {
      for (const select of root.querySelectorAll("select[data-search]:not(.tomselected)")) {
        // Tom Select points the label at its own input: the hidden select keeps its name
        const label = select.id && document.querySelector('label[for="' + select.id + '"]');
        if (label && !select.getAttribute("aria-label")) select.setAttribute("aria-label", label.textContent.trim());
        new window.TomSelect(select, { create: false, maxOptions: 500, render: { no_results: () => '<div class="no-results">' + text.none + "</div>" } });
      }
    }
    if (window.flatpickr) {
      for (const input of root.querySelectorAll('input[type="date"]')) {
        input.type = "text";
        input.placeholder = "YYYY-MM-DD";
        input.autocomplete = "off";
        window.flatpickr(input, { allowInput: true, dateFormat: "Y-m-d", locale: english ? "default" : "zh" });
      }
    }
  }
  enhance(document);

  // htmx: partial updates keep the enhancements, and their failures are told, not swallowed
  document.body.addEventListener("htmx:afterSwap", (event) => enhance(event.detail.target));
  document.body.addEventListener("htmx:responseError", async (event) => {
    const xhr = event.detail.xhr;
    let message = text.failed;
    if (xhr.status === 401) message = text.expired;
    else {
      try { message = JSON.parse(xhr.responseText).message || message; } catch (ignored) { /* HTML */ }
    }
    notify(message, "danger");
  });
  document.body.addEventListener("htmx:sendError", () => notify(text.network, "danger"));
})();
