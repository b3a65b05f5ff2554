// The received invoices' upload: each chosen file is sent on its own to the API (a large batch is many
// small requests, each within the size limit), the progress bar counts them, what each gave
// is listed, and the list reloads at the end. Without JavaScript the form posts them at once.
(function () {
  "use strict";
  const form = document.getElementById("received-upload");
  if (!form || !window.fetch || !window.FormData) return;
  const input = form.querySelector("input[type=file]");
  const bar = document.getElementById("received-progress");
  const log = document.getElementById("received-log");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const say = (text, kind) => {
    const item = document.createElement("li");
    item.textContent = text;
    if (kind) item.className = kind;
    log.appendChild(item);
  };
  form.addEventListener("submit", async (event) => {
    if (!input.files.length) return; // the server says what is missing
    event.preventDefault();
    const files = Array.from(input.files);
    bar.max = files.length;
    bar.value = 0;
    bar.hidden = false;
    log.replaceChildren();
    for (const file of files) {
      const body = new FormData();
      body.append("files", file, file.name);
      try {
        const response = await fetch("/api/v1/received", {
          method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf },
        });
        const answer = await response.json();
        if (!response.ok) {
          say(`${file.name}: ${answer.message}`, "text-danger");
        } else {
          for (const r of answer.new) say(`${file.name}: ${form.dataset.new} ${r.invoice_number}`);
          for (const r of answer.known) say(`${file.name}: ${form.dataset.known} ${r.invoice_number}`);
          for (const r of answer.refused) say(`${r.file}: ${r.message}`, "text-danger");
          for (const r of answer.waiting) say(`${r.file}: ${form.dataset.waiting}`);
        }
      } catch (error) {
        say(`${file.name}: ${form.dataset.failed}`, "text-danger");
      }
      bar.value += 1;
    }
    const done = document.createElement("a");
    done.href = window.location.pathname;
    done.textContent = form.dataset.reload;
    log.appendChild(document.createElement("li")).appendChild(done);
  });
})();
