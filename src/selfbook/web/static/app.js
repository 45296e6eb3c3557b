/* selfbook's page script: search as you type, and answers that stream in.
 *
 * Everything that comes from notes is set with textContent (never innerHTML), links to entries
 * are built from their ids with encodeURIComponent, and only http(s), ftp and mailto links are
 * made clickable. Requests that change anything carry the page's CSRF token.
 */
"use strict";

(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function weblink(url) {
    return /^(https?|ftps?):\/\//i.test(url) || /^mailto:/i.test(url) ? url : null;
  }

  function entryLink(id, text) {
    var a = el("a", "", text);
    a.href = "/entry/" + encodeURIComponent(id);
    return a;
  }

  async function errorMessage(response) {
    try {
      var data = await response.json();
      return data.error || response.statusText;
    } catch (e) {
      return response.status + " " + response.statusText;
    }
  }

  // -- search as you type ------------------------------------------------------------------------
  // ``text`` into ``node`` with the [start, end) ``spans`` in <mark>, all as text nodes
  function marked(node, text, spans) {
    var at = 0;
    (spans || []).forEach(function (span) {
      if (span[0] < at) return;
      node.appendChild(document.createTextNode(text.slice(at, span[0])));
      node.appendChild(el("mark", "", text.slice(span[0], span[1])));
      at = span[1];
    });
    node.appendChild(document.createTextNode(text.slice(at)));
    return node;
  }

  function renderHit(hit) {
    var li = el("li", "hit");
    var title = entryLink(hit.id, "");
    title.className = "hit-title";
    li.appendChild(hit.title ? marked(title, hit.title, hit.title_highlights) : marked(title, "Untitled", []));
    if (hit.snippet && hit.snippet !== hit.title) {
      li.appendChild(marked(el("p", "snippet"), hit.snippet, hit.highlights));
    }
    var facts = el("p", "facts");
    var chapter = el("a", "", hit.chapter);
    chapter.href = "/chapter/" + encodeURIComponent(hit.chapter_id);
    facts.appendChild(chapter);
    facts.appendChild(document.createTextNode(
      " / " + hit.section + (hit.date_label ? " · " + hit.date_label : "") + " · " + hit.kind));
    li.appendChild(facts);
    var url = hit.urls && hit.urls.length ? weblink(hit.urls[0]) : null;
    if (url) {
      var line = el("p", "url"), a = el("a", "", url);
      a.href = url;
      a.rel = "noopener noreferrer nofollow";
      line.appendChild(a);
      var state = hit.links && hit.links.length ? hit.links[0] : null;
      if (state && state.dead) {  // as the link_state macro: the mark, and the Wayback copy when known
        line.appendChild(document.createTextNode(" "));
        line.appendChild(el("span", "dead-link", "dead link"));
        var copy = state.archived_url && /^https?:\/\//i.test(state.archived_url.trim()) ? state.archived_url : null;
        if (copy) {
          var archived = el("a", "archived", "archived copy" + (state.archived_date ? ", " + state.archived_date : ""));
          archived.href = copy;
          archived.rel = "noopener noreferrer nofollow";
          line.appendChild(document.createTextNode(" "));
          line.appendChild(archived);
        }
      }
      li.appendChild(line);
    }
    return li;
  }

  function setupSearch(form) {
    var results = document.getElementById("results");
    var status = document.getElementById("search-status");
    var timer = null, inflight = null, latest = 0;

    function params() {
      var data = new FormData(form), out = new URLSearchParams();
      data.forEach(function (value, key) {
        if (String(value).trim() !== "" && !(key === "method" && value === "hybrid") && !(key === "limit" && value === "10")) {
          out.append(key, value);
        }
      });
      return out;
    }

    async function run() {
      var query = params();
      history.replaceState(null, "", "/search" + (query.toString() ? "?" + query : ""));
      if (!(query.get("q") || "").trim()) {
        results.replaceChildren();
        status.textContent = "";
        return;
      }
      if (inflight) inflight.abort();
      inflight = new AbortController();
      var mine = ++latest;
      try {
        var response = await fetch("/api/search?" + query, { signal: inflight.signal, headers: { Accept: "application/json" } });
        if (mine !== latest) return;
        if (!response.ok) {
          status.textContent = await errorMessage(response);
          results.replaceChildren();
          return;
        }
        var data = await response.json();
        if (mine !== latest) return;
        results.replaceChildren.apply(results, data.results.map(renderHit));
        status.textContent = data.results.length + (data.results.length === 1 ? " result" : " results") + (data.note ? " — " + data.note : "");
      } catch (e) {
        if (e.name !== "AbortError") status.textContent = "Search failed: " + e.message;
      }
    }

    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 120);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      run();
    });
  }

  // -- ask, streamed -----------------------------------------------------------------------------
  function renderAnswer(box, text, citations) {
    var ids = {};
    citations.forEach(function (c) { ids[c.number] = c.id; });
    box.replaceChildren();
    var marker = /\[(\d+)\]/g, at = 0, match;
    while ((match = marker.exec(text)) !== null) {
      var id = ids[Number(match[1])];
      if (id === undefined) continue;
      box.appendChild(document.createTextNode(text.slice(at, match.index)));
      var cite = entryLink(id, "[" + match[1] + "]");
      cite.className = "cite";
      box.appendChild(cite);
      at = match.index + match[0].length;
    }
    box.appendChild(document.createTextNode(text.slice(at)));
  }

  function renderCitations(list, citations) {
    list.replaceChildren.apply(list, citations.map(function (c) {
      var li = el("li");
      li.value = c.number;
      li.appendChild(entryLink(c.id, c.title || "Untitled"));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "facts", c.chapter + " / " + c.section));
      return li;
    }));
  }

  function setupAsk(form) {
    var box = document.getElementById("answer");
    var status = document.getElementById("ask-status");
    var citations = document.getElementById("citations");
    var warnings = document.getElementById("warnings");
    var button = document.getElementById("ask-button");

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var question = document.getElementById("question").value;
      if (!question.trim()) return;
      box.replaceChildren();
      citations.replaceChildren();
      warnings.replaceChildren();
      status.textContent = "Thinking…";
      button.disabled = true;
      var text = "";
      try {
        var response = await fetch("/api/ask/stream", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "text/event-stream" },
          body: JSON.stringify({ question: question }),
        });
        if (!response.ok) {
          status.textContent = await errorMessage(response);
          return;
        }
        var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          buffer += decoder.decode(chunk.value, { stream: true });
          var cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            var event = parse(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
            if (event.kind === "text") {
              text += event.data.text;
              box.textContent = text;
              status.textContent = "Answering…";
            } else if (event.kind === "done") {
              renderAnswer(box, event.data.answer, event.data.citations);
              renderCitations(citations, event.data.citations);
              event.data.warnings.forEach(function (w) { warnings.appendChild(el("li", "", w)); });
              status.textContent = event.data.mode === "llm" ? "" : event.data.mode;
            } else if (event.kind === "error") {
              status.textContent = event.data.error;
            }
          }
        }
      } catch (e) {
        status.textContent = "The answer failed: " + e.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  function parse(block) {
    var kind = "message", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) kind = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
    });
    return { kind: kind, data: data ? JSON.parse(data) : {} };
  }

  var search = document.getElementById("search-form");
  if (search) setupSearch(search);
  var ask = document.getElementById("ask-form");
  if (ask) setupAsk(ask);
})();
