// Chat page: stream answers over server-sent events: evidence quotes first, then the
// written answer with its checked sentences and citations, and the attention heatmap.
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

  // Attention of the answer tokens inside [from, to) over one quote, summed per span.
  function claimSpans(message, quoteIndex, from, to) {
    const map = message.attention;
    if (!map) return [];
    const sums = new Map();
    map.token_spans.forEach(([a, b], row) => {
      if (a < from || b > to) return;
      for (const [p, start, end, w] of map.top_spans[row]) {
        if (p !== quoteIndex) continue;
        const key = start + ":" + end;
        sums.set(key, (sums.get(key) || 0) + w);
      }
    });
    return [...sums.entries()].map(([key, w]) => key.split(":").map(Number).concat([w]));
  }

  function where(source) {
    const parts = [source.document_title || source.original_filename || "Untitled"];
    if (source.original_filename && source.original_filename !== source.document_title) parts.push(source.original_filename);
    const unit = source.page_unit || "page";  // answers stored before slides were named say nothing
    if (source.page_label || source.page) parts.push(unit + " " + (source.page_label || source.page));
    // A heading path often starts with the title itself (the document's first heading).
    let heading = source.heading || "";
    if (heading === parts[0]) heading = "";
    else if (heading.startsWith(parts[0] + " › ")) heading = heading.slice(parts[0].length + 3);
    if (heading) parts.push(heading);
    return parts.join(" · ");
  }

  // A PDF's passage opens on its rendered page (the server finds the page, and falls back to
  // the extracted text when it cannot render it); other documents' in their extracted text.
  // Only PDFs have rendered pages: a slide deck's passage has a page (its slide), and opens in
  // the extracted text.
  function documentLink(source, start, end) {
    const base = root.dataset.documentUrl + source.document_id + "/";
    const span = "?start=" + start + "&end=" + end;
    const rendered = source.page && (source.page_unit || "page") === "page";
    return rendered ? base + "pages/" + span : base + span + "#highlight";
  }

  // A quote (or a retrieved passage) in the side panel, with the cited characters marked.
  function openSource(message, source, citation, isQuote) {
    const meta = document.getElementById("source-meta");
    const kinds = {
      copy: "The answer copies these words exactly",
      support: "The answer's words are found here",
      model: "Cited by the model",
      attention: "Attributed from attention",
    };
    meta.replaceChildren(
      el("strong", {}, (isQuote ? "[" + source.index + "] " : "") + where(source)),
      el("div", { class: "hint" }, citation ? kinds[citation.kind] || "Cited" : (isQuote ? "Evidence quote" : "Retrieved passage"),
        " · similarity " + Number(isQuote ? source.similarity : source.score).toFixed(3)),
    );
    let body;
    const spans = citation && isQuote ? claimSpans(message, source.index - 1, citation.claim[0], citation.claim[1]) : [];
    if (citation && citation.span && isQuote) {
      // The exact characters cited, marked inside the quote.
      const a = Math.max(0, citation.span[0] - source.start), b = Math.min(source.text.length, citation.span[1] - source.start);
      body = el("div", { class: "passage-text" }, source.text.slice(0, a), el("mark", { class: "cited-span" }, source.text.slice(a, b)), source.text.slice(b));
    } else {
      body = spans.length ? shadedText(source.text, spans) : el("div", { class: "passage-text" }, source.text);
    }
    body.classList.add("cited-passage");
    document.getElementById("source-text").replaceChildren(body);
    const span = citation && citation.span ? citation.span : [source.start, source.end];
    document.getElementById("source-link").href = documentLink(source, span[0], span[1]);
    showPanel("source-panel");
  }

  function openHeatmap(message) {
    const map = message.attention;
    const grid = document.getElementById("heatmap");
    const shaded = document.getElementById("shaded");
    shaded.replaceChildren();
    const quotes = message.evidence;
    const max = Math.max(1e-9, ...map.passage_mass.flat());
    const table = el("table", { class: "heat" });
    table.append(el("tr", {}, el("th", {}, "token"), ...quotes.map((q) => el("th", { title: q.text }, "[" + q.index + "]"))));
    map.token_spans.forEach(([a, b], row) => {
      const token = message.content.slice(a, b);
      const tr = el("tr", { class: "heat-row", dataset: { row: String(row) } }, el("th", { class: "tok" }, JSON.stringify(token)));
      map.passage_mass[row].forEach((value, p) => {
        tr.append(el("td", { style: "background:" + shade(value / max), title: JSON.stringify(token) + " → [" + (p + 1) + "]: " + value.toFixed(4) }));
      });
      tr.addEventListener("click", () => {
        table.querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
        tr.classList.add("selected");
        const blocks = quotes.map((quote, p) => {
          const spans = map.top_spans[row].filter((s) => s[0] === p).map((s) => [s[1], s[2], s[3]]);
          return el("div", { class: "shaded-passage" },
            el("div", { class: "meta" }, "[" + quote.index + "] " + where(quote) + " — mass " + (map.passage_mass[row][p] || 0).toFixed(3)),
            shadedText(quote.text, spans));
        });
        shaded.replaceChildren(el("p", { class: "hint" }, "Token " + JSON.stringify(token) + " attended to:"), ...blocks);
      });
      table.append(tr);
    });
    grid.replaceChildren(table);
    showPanel("heatmap-panel");
  }

  // --- messages ------------------------------------------------------------------------
  // The evidence comes first: exact quotes, each opening its document at those characters.
  function evidenceBlock(message, abstained) {
    const quotes = message.evidence || [];
    if (!quotes.length) return null;
    const box = el("div", { class: "evidence" + (abstained ? " nearest" : "") },
      el("div", { class: "evidence-head" }, abstained ? "Nearest passages found (they do not answer the question):" : "From your documents:"));
    for (const quote of quotes) {
      // A table row comes under its table's header rows: they say which figure is which.
      const header = quote.table_header_text ? el("div", { class: "quote-columns", title: "The table's header" }, quote.table_header_text) : null;
      box.append(el("blockquote", { class: "quote", dataset: { index: String(quote.index) } },
        header,
        el("button", { type: "button", class: "quote-text link", onclick: () => openSource(message, quote, null, true) }, quote.text),
        el("div", { class: "quote-meta" },
          "[" + quote.index + "] ",
          el("a", { href: documentLink(quote, quote.start, quote.end), class: "quote-link" }, where(quote)))));
    }
    return box;
  }

  function citationButton(message, citation) {
    const quote = (message.evidence || []).find((q) => q.index === citation.evidence);
    return el("button", {
      type: "button", class: "cite " + citation.kind,
      title: (quote ? where(quote) : "") + " — " + citation.kind,
      onclick: () => quote && openSource(message, quote, citation, true),
    }, "[" + citation.evidence + "]");
  }

  // The written answer: each checked sentence, its citation after it; unsupported ones flagged.
  function answerBody(message) {
    const body = el("div", { class: "answer-text" });
    const text = message.content;
    const checks = (message.checks || []).slice().sort((a, b) => a.claim[0] - b.claim[0]);
    const citations = message.citations || [];
    if (!checks.length) {
      body.append(text);
      return body;
    }
    let at = 0;
    for (const check of checks) {
      const [start, end] = check.claim;
      if (start < at) continue;
      body.append(text.slice(at, start));
      const sentence = el("span", { class: "claim " + (check.supported ? "supported" : "unsupported") }, text.slice(start, end));
      body.append(sentence);
      for (const citation of citations.filter((c) => c.claim[0] < end && start < c.claim[1])) body.append(citationButton(message, citation));
      if (!check.supported) body.append(el("span", { class: "not-found", title: "No evidence quote holds these words" }, "not found in your documents"));
      at = end;
    }
    body.append(text.slice(at));
    return body;
  }

  function passagesBlock(message) {
    const passages = message.passages || [];
    if (!passages.length) return null;
    const list = el("ul");
    for (const passage of passages) {
      list.append(el("li", {}, el("button", { type: "button", class: "link", onclick: () => openSource(message, passage, null, false) },
        "[" + passage.index + "] " + where(passage)), el("span", { class: "hint" }, " similarity " + Number(passage.score).toFixed(3))));
    }
    return el("details", { class: "sources" }, el("summary", {}, "Retrieved passages (" + passages.length + ")"), list);
  }

  const NOTES = {
    length: "(stopped at the length limit)",
    repeat: "(stopped where the model began repeating itself)",
    cancelled: "(stopped before the end)",
    failed: "(the answer failed part-way; please ask again)",
  };

  function renderMessage(message) {
    if (message.role === "user") return el("li", { class: "msg user" }, el("div", { class: "bubble" }, message.content));
    const abstained = message.status === "no_evidence";
    const footer = el("div", { class: "msg-foot" });
    if (message.attention) footer.append(el("button", { type: "button", class: "link heatmap-button", onclick: () => openHeatmap(message) }, "Attention heatmap"));
    const stats = message.stats || {};
    if (stats.generated_tokens) {
      footer.append(el("span", { class: "hint" }, " " + stats.generated_tokens + " tokens · first word " + Number(stats.time_to_first_token_s).toFixed(2) + " s · " + Number(stats.total_s).toFixed(2) + " s in all"));
    }
    if (stats.searched_for) footer.append(el("div", { class: "hint respelt" }, "Searched for: " + stats.searched_for));
    const reason = message.status === "failed" ? "failed" : message.status === "cancelled" ? "cancelled" : stats.finish_reason;
    const note = NOTES[reason] ? el("div", { class: "hint note" }, NOTES[reason]) : null;
    const written = message.content ? el("div", { class: "bubble" }, answerBody(message), note) : (note ? el("div", { class: "bubble" }, note) : null);
    return el("li", { class: "msg assistant " + message.status, dataset: { id: String(message.id) } },
      abstained ? written : evidenceBlock(message, false),
      abstained ? evidenceBlock(message, true) : written,
      passagesBlock(message), footer);
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
    const quotes = el("div", { class: "evidence-slot" });
    const pending = el("li", { class: "msg assistant streaming" }, quotes, el("div", { class: "bubble" }, live));
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
          // The quotes are shown as soon as they are found, before the answer is written.
          const block = evidenceBlock({ evidence: data.evidence, attention: null }, data.abstained);
          if (block) quotes.replaceWith(block);
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
          if (data.message) pending.replaceWith(renderMessage(data.message));
          else live.append(el("div", { class: "error" }, data.error.message));
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
