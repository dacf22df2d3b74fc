// Library page: poll the status of documents still being ingested, and confirm deletes.
(function () {
  "use strict";
  const table = document.getElementById("documents");
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  if (!table) return;
  const busy = new Set(["queued", "parsing", "embedding"]);

  function pending() {
    return Array.from(table.querySelectorAll("tbody tr")).filter((row) => busy.has(row.dataset.status));
  }

  function render(row, doc) {
    row.dataset.status = doc.status;
    // Parsing may find the document's real title (metadata, <title>, a first heading).
    const link = row.querySelector("a.title");
    if (link && doc.title) link.textContent = doc.title;
    const badge = row.querySelector(".badge");
    badge.className = "badge " + doc.status;
    badge.textContent = doc.status_label; // textContent: never interpret as HTML
    const bar = row.querySelector("progress");
    bar.value = doc.progress;
    bar.hidden = !busy.has(doc.status);
    row.querySelector(".progress-label").textContent = doc.progress_label || ""; // "page 12 of 80"
    row.querySelector(".reason").textContent = doc.failure_reason || "";
    row.querySelector(".note").textContent = doc.note || "";
    row.querySelector(".chunks").textContent = String(doc.chunks);
  }

  async function poll() {
    const rows = pending();
    if (rows.length === 0) return;
    const ids = rows.map((row) => row.dataset.id).join(",");
    try {
      const response = await fetch(table.dataset.statusUrl + "?ids=" + encodeURIComponent(ids), {
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const body = await response.json();
        for (const doc of body.documents) {
          const row = table.querySelector('tr[data-id="' + doc.id + '"]');
          if (row) render(row, doc);
        }
      }
    } catch (error) {
      // The server may be restarting; try again on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  poll();
})();
