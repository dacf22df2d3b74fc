// Chat page: stream answers over server-sent events, render citations and attention.
// Everything from documents or the model is inserted as text (textContent / text
// nodes), never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  if (!root) return;
  const list = document.getElementById("messages");
  const form = document.getElementById("ask-form");
  const question = document.getElementById("question");
  const button = document.getElementById("ask-button");
  const inspector = document.getElementById("inspector");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function shade(weight) {
    const alpha = Math.max(0, Math.min(1, weight));
    return "rgba(47, 91, 211, " + (0.08 + 0.8 * alpha).toFixed(3) + ")";
  }

  // --- panels --------------------------------------------------------------------------
  function showPanel(id) {
    inspector.hidden = false;
    document.getElementById(id).hidden = false;
  }
  inspector.addEventListener("click", (event) => {
    const target = event.target.closest("[data-close]");
    if (!target) return;
    document.getElementById(target.dataset.close).hidden = true;
    if ([...inspector.querySelectorAll(".panel")].every((p) => p.hidden)) inspector.hidden = true;
  });

  // Text of a passage with [start, end, weight] spans shaded.
  function shadedText(text, spans) {
    const box = el("div", { class: "passage-text" });
    const sorted = spans.filter((s) => s[1] > s[0]).sort((a, b) => a[0] - b[0]);
    const max = Math.max(1e-9, ...sorted.map((s) => s[2]));
    let at = 0;
    for (const [start, end, weight] of sorted) {
      if (start < at) continue; // overlapping spans: keep the first
      box.append(text.slice(at, start));
      box.append(el("span", { class: "hot", style: "background:" + shade(weight / max), title: weight.toFixed(4) }, text.slice(start, end)));
      at = end;
    }
    box.append(text.slice(at));
    return box;
  }

  // Attention of the answer tokens inside [from, to) over one passage, summed per span.
  function claimSpans(message, passageIndex, from, to) {
    const map = message.attention;
    if (!map) return [];
    const sums = new Map();
    map.token_spans.forEach(([a, b], row) => {
      if (a < from || b > to) return;
      for (const [p, start, end, w] of map.top_spans[row]) {
        if (p !== passageIndex) continue;
        const key = start + ":" + end;
        sums.set(key, (sums.get(key) || 0) + w);
      }
    });
    return [...sums.entries()].map(([key, w]) => key.split(":").map(Number).concat([w]));
  }

  function openSource(message, passage, citation) {
    const meta = document.getElementById("source-meta");
    meta.replaceChildren(
      el("strong", {}, "[" + passage.index + "] " + passage.document_title),
      passage.page ? " · page " + passage.page : "",
      passage.heading ? " · " + passage.heading : "",
      el("div", { class: "hint" }, citation
        ? (citation.kind === "model" ? "Cited by the model" : "Attributed from attention (the model wrote no marker)")
        : "Retrieved, not cited", " · similarity " + Number(passage.score).toFixed(3)),
    );
    const spans = citation ? claimSpans(message, passage.index - 1, citation.claim[0], citation.claim[1]) : [];
    const body = spans.length ? shadedText(passage.text, spans) : el("div", { class: "passage-text" }, passage.text);
    body.classList.add("cited-passage");
    document.getElementById("source-text").replaceChildren(body);
    const link = document.getElementById("source-link");
    link.href = root.dataset.documentUrl + passage.document_id + "/?start=" + passage.start + "&end=" + passage.end + "#highlight";
    showPanel("source-panel");
  }

  function openHeatmap(message) {
    const map = message.attention;
    const grid = document.getElementById("heatmap");
    const shaded = document.getElementById("shaded");
    shaded.replaceChildren();
    const passages = message.passages;
    const max = Math.max(1e-9, ...map.passage_mass.flat());
    const table = el("table", { class: "heat" });
    table.append(el("tr", {}, el("th", {}, "token"), ...passages.map((p) => el("th", { title: p.document_title }, "[" + p.index + "]"))));
    map.token_spans.forEach(([a, b], row) => {
      const token = message.content.slice(a, b);
      const tr = el("tr", { class: "heat-row", dataset: { row: String(row) } }, el("th", { class: "tok" }, JSON.stringify(token)));
      map.passage_mass[row].forEach((value, p) => {
        tr.append(el("td", { style: "background:" + shade(value / max), title: JSON.stringify(token) + " → [" + (p + 1) + "]: " + value.toFixed(4) }));
      });
      tr.addEventListener("click", () => {
        table.querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
        tr.classList.add("selected");
        const blocks = passages.map((passage, p) => {
          const spans = map.top_spans[row].filter((s) => s[0] === p).map((s) => [s[1], s[2], s[3]]);
          return el("div", { class: "shaded-passage" },
            el("div", { class: "meta" }, "[" + passage.index + "] " + passage.document_title + " — mass " + (map.passage_mass[row][p] || 0).toFixed(3)),
            shadedText(passage.text, spans));
        });
        shaded.replaceChildren(el("p", { class: "hint" }, "Token " + JSON.stringify(token) + " attended to:"), ...blocks);
      });
      table.append(tr);
    });
    grid.replaceChildren(table);
    showPanel("heatmap-panel");
  }

  // --- messages ------------------------------------------------------------------------
  function answerBody(message) {
    const body = el("div", { class: "answer-text" });
    const text = message.content;
    const byIndex = new Map(message.passages.map((p) => [p.index, p]));
    const marks = message.citations.slice().sort((a, b) => a.marker[0] - b.marker[0] || a.marker[1] - b.marker[1]);
    let at = 0;
    for (const citation of marks) {
      const [start, end] = citation.marker;
      if (start < at) continue;
      body.append(text.slice(at, start));
      const passage = byIndex.get(citation.index);
      const label = citation.kind === "model" ? text.slice(start, end) || "[" + citation.index + "]" : "[" + citation.index + "]";
      body.append(el("button", {
        type: "button", class: "cite " + citation.kind,
        title: (citation.kind === "model" ? "Cited: " : "Attributed from attention: ") + (passage ? passage.document_title : ""),
        onclick: () => passage && openSource(message, passage, citation),
      }, label));
      at = end;
    }
    body.append(text.slice(at));
    return body;
  }

  function sources(message) {
    if (!message.passages.length) return null;
    const citedIndexes = new Set(message.citations.filter((c) => c.kind === "model").map((c) => c.index));
    const cited = message.citations.some((c) => c.kind === "model");
    const box = el("div", { class: "sources" },
      el("div", { class: "sources-head" }, cited ? "Sources" : "The model cited no source. Retrieved passages:"));
    const ul = el("ul");
    for (const passage of message.passages) {
      const citation = message.citations.find((c) => c.index === passage.index) || null;
      ul.append(el("li", { class: citedIndexes.has(passage.index) ? "cited" : "retrieved" },
        el("button", { type: "button", class: "link", onclick: () => openSource(message, passage, citation) },
          "[" + passage.index + "] " + passage.document_title + (passage.page ? ", page " + passage.page : "")),
        el("span", { class: "badge" }, citedIndexes.has(passage.index) ? "cited" : "retrieved")));
    }
    box.append(ul);
    return box;
  }

  function renderMessage(message) {
    if (message.role === "user") return el("li", { class: "msg user" }, el("div", { class: "bubble" }, message.content));
    const footer = el("div", { class: "msg-foot" });
    if (message.attention) footer.append(el("button", { type: "button", class: "link heatmap-button", onclick: () => openHeatmap(message) }, "Attention heatmap"));
    if (message.stats && message.stats.generated_tokens) {
      footer.append(el("span", { class: "hint" }, " " + message.stats.generated_tokens + " tokens · first token " + Number(message.stats.time_to_first_token_s).toFixed(2) + " s · " + Number(message.stats.decode_tokens_per_s).toFixed(1) + " tok/s"));
    }
    const status = message.status === "cancelled" ? el("div", { class: "hint" }, "(stopped before the end)") : null;
    return el("li", { class: "msg assistant " + message.status, dataset: { id: String(message.id) } },
      el("div", { class: "bubble" }, answerBody(message), status), sources(message), footer);
  }

  function load() {
    const saved = JSON.parse(document.getElementById("saved-messages").textContent);
    for (const message of saved) list.append(renderMessage(message));
  }

  // --- streaming -----------------------------------------------------------------------
  function parseEvents(buffer, handle) {
    let cut;
    while ((cut = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) handle(name, JSON.parse(data));
    }
    return buffer;
  }

  async function ask(text) {
    list.append(renderMessage({ role: "user", content: text }));
    const live = el("div", { class: "answer-text streaming" });
    const pending = el("li", { class: "msg assistant streaming" }, el("div", { class: "bubble" }, live));
    list.append(pending);
    pending.scrollIntoView({ block: "end" });
    const body = new URLSearchParams({ question: text, conversation: root.dataset.conversation || "" });
    const response = await fetch(root.dataset.askUrl, {
      method: "POST", body, headers: { "X-CSRFToken": csrf, Accept: "text/event-stream" }, credentials: "same-origin",
    });
    if (!response.ok || !response.body) {
      live.textContent = "The question could not be sent (" + response.status + ").";
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseEvents(buffer + decoder.decode(value, { stream: true }), (name, data) => {
        if (name === "start") {
          if (!root.dataset.conversation) {
            root.dataset.conversation = String(data.conversation);
            document.getElementById("conversation-title").textContent = data.title;
            const url = root.dataset.conversationUrl + data.conversation + "/";
            window.history.replaceState(null, "", url);
            const sidebar = document.querySelector(".conversations ul");
            sidebar.querySelectorAll("li.empty").forEach((li) => li.remove());
            sidebar.prepend(el("li", { class: "current" }, el("a", { href: url }, data.title)));
          }
        } else if (name === "token") {
          live.append(data.text);
          pending.scrollIntoView({ block: "end" });
        } else if (name === "done") {
          pending.replaceWith(renderMessage(data.message));
        } else if (name === "error") {
          live.append(el("div", { class: "error" }, data.message));
        }
      });
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (!text) return;
    question.value = "";
    button.disabled = true;
    try {
      await ask(text);
    } catch (error) {
      list.append(el("li", { class: "msg error" }, "Connection lost: " + error));
    } finally {
      button.disabled = false;
      question.focus();
    }
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.querySelectorAll("form[data-confirm]").forEach((f) => {
    f.addEventListener("submit", (event) => { if (!window.confirm(f.dataset.confirm)) event.preventDefault(); });
  });
  load();
})();
