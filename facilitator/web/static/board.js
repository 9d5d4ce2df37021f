/* The anonymous board: post and vote without reloading, a "Posted" confirmation, newest-first or
   most-voted order, new posts arriving over the event stream; read-only once the server says the
   board has closed. */
(function () {
  "use strict";
  const root = document.getElementById("board");
  if (!root || !window.Live) { return; }
  const Live = window.Live;
  const token = root.dataset.token;
  const list = document.getElementById("posts");
  const form = document.getElementById("post-form");
  const body = document.getElementById("body");
  const chars = document.getElementById("chars");
  const errorBox = document.getElementById("post-error");
  const notice = document.getElementById("post-notice");
  const closedBox = document.getElementById("board-closed");
  let closed = root.dataset.closed === "1";
  let sort = root.dataset.sort === "votes" ? "votes" : "newest";

  function voteAction() { return closed ? null : "/b/" + token + "/vote/"; }
  function show(node, text) { node.textContent = text; node.hidden = !text; }

  /* Newest first, or most votes first (newest first among equals). */
  function applySort() {
    const items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) {
      if (sort === "votes") {
        const dv = Number(b.dataset.votes) - Number(a.dataset.votes);
        if (dv) { return dv; }
      }
      return Number(b.dataset.id) - Number(a.dataset.id);
    });
    items.forEach(function (li) { list.appendChild(li); });
    Live.updateEmpty(list);
  }

  function add(c) {
    Live.upsert(list, c, voteAction());
    applySort();
  }

  function close(reason) {
    closed = true;
    if (form) {  // a half-written post stays visible (to copy), but can no longer be sent
      body.readOnly = true;
      form.querySelectorAll("button").forEach(function (b) { b.hidden = true; });
    }
    show(closedBox, reason);
    list.querySelectorAll("form.vote-form").forEach(function (f) {
      const li = f.closest("li");
      const votes = li ? li.dataset.votes : "0";
      const text = document.createElement("span");
      text.appendChild(document.createTextNode("Votes: "));
      text.appendChild(Live.el("span", "votes", votes));
      f.replaceWith(text);
    });
  }

  document.querySelectorAll(".sort a[data-sort]").forEach(function (link) {
    link.addEventListener("click", function (ev) {
      ev.preventDefault();
      sort = link.dataset.sort === "votes" ? "votes" : "newest";
      document.querySelectorAll(".sort a[data-sort]").forEach(function (other) {
        if (other === link) { other.setAttribute("aria-current", "true"); } else { other.removeAttribute("aria-current"); }
      });
      root.dataset.sort = sort;
      applySort();
      if (window.history && window.history.replaceState) { window.history.replaceState(null, "", link.href); }
    });
  });

  if (form && body) {
    const count = function () { chars.textContent = String(body.value.length); };
    body.addEventListener("input", count);
    count();
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      show(errorBox, "");
      show(notice, "");
      fetch("/b/" + token, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ body: body.value })
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; },
                             function () { return { ok: false, data: {} }; });
      }).then(function (res) {
        if (!res.ok) {
          if (res.data.closed) { close(res.data.error); return; }
          show(errorBox, res.data.error || "Posting failed; your text is still here. Please try again.");
          return;
        }
        body.value = "";
        count();
        if (res.data.held) {
          show(notice, "Thank you. Your post will appear once the course director has approved it.");
        } else {
          add(res.data.contribution);
          show(notice, sort === "newest" ? "Posted. Your post is at the top of the list."
                                         : "Posted. Your post is in the list below.");
        }
      }).catch(function () { show(errorBox, "Could not reach the server; your text is still here."); });
    });
  }

  list.addEventListener("submit", function (ev) {
    const target = ev.target;
    if (!(target instanceof HTMLFormElement) || !target.classList.contains("vote-form")) { return; }
    ev.preventDefault();
    fetch(target.action, { method: "POST", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        if (res.data && res.data.closed) { close(res.data.error); return; }
        if (res.ok) { Live.setVotes(document, res.data.id, res.data.votes); }
        const button = target.querySelector("button");
        if (button) { button.classList.add("voted"); }
        if (sort === "votes") { applySort(); if (button) { button.focus(); } }
      });
  });

  function resync() {
    fetch("/b/" + token + "/contributions", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        list.replaceChildren();
        data.items.forEach(function (c) { Live.upsert(list, c, voteAction()); });
        applySort();
      });
  }

  // The board closes when the breakout ends, by the app's clock (pushed over the stream).
  const clock = Live.clock(Number(root.dataset.now), Number(root.dataset.rate));
  const closes = root.dataset.closes ? Number(root.dataset.closes) : null;
  function checkClosing() {
    if (!closed && closes !== null && clock.now() >= closes) { close(root.dataset.closedText || ""); }
  }
  setInterval(checkClosing, 1000);

  Live.connect("/b/" + token + "/events", {
    clock: function (d) { clock.set(d.now, d.rate); checkClosing(); },
    contribution: add,
    vote: function (d) { Live.setVotes(document, d.id, d.votes); if (sort === "votes") { applySort(); } },
    answered: function (d) { Live.setAnswered(document, d.id, d.answered); },
    hide: function (d) { Live.remove(document, d.id); }
  }, resync);
})();
