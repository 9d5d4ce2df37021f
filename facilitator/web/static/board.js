/* The anonymous board: post and vote without reloading; new posts arrive over the event stream. */
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
  const voteAction = "/b/" + token + "/vote/";

  function show(node, text) { node.textContent = text; node.hidden = !text; }
  function count() { chars.textContent = String(body.value.length); }
  body.addEventListener("input", count);
  count();

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    show(errorBox, "");
    fetch("/b/" + token, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ body: body.value })
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) { show(errorBox, res.data.error || "Posting failed; please try again."); return; }
      body.value = "";
      count();
      if (res.data.held) {
        show(notice, "Thank you. Your post will appear once the course director has approved it.");
      } else {
        show(notice, "");
        Live.upsert(list, res.data.contribution, voteAction);
      }
    }).catch(function () { show(errorBox, "Could not reach the server; your text is still here."); });
  });

  list.addEventListener("submit", function (ev) {
    const target = ev.target;
    if (!(target instanceof HTMLFormElement) || !target.classList.contains("vote-form")) { return; }
    ev.preventDefault();
    fetch(target.action, { method: "POST", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) { Live.setVotes(document, data.id, data.votes); }
        const button = target.querySelector("button");
        if (button) { button.disabled = true; }
      });
  });

  function resync() {
    fetch("/b/" + token + "/contributions", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        list.replaceChildren();
        data.items.forEach(function (c) { Live.upsert(list, c, voteAction); });
      });
  }

  Live.connect("/b/" + token + "/events", {
    contribution: function (c) { Live.upsert(list, c, voteAction); },
    vote: function (d) { Live.setVotes(document, d.id, d.votes); },
    hide: function (d) { Live.remove(document, d.id); }
  }, resync);
})();
