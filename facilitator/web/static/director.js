/* The director's session page: live room occupancy and new contributions without reloading. */
(function () {
  "use strict";
  const root = document.getElementById("session");
  if (!root) { return; }
  const sid = root.dataset.session;
  const csrf = root.dataset.csrf;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function badge(text) { return el("span", "badge bad", text); }

  function renderLive(live) {
    const table = document.querySelector("#occupancy tbody");
    const alerts = document.getElementById("misplaced");
    const moving = document.getElementById("moving");
    if (!live || !table || !alerts) { return; }
    alerts.replaceChildren();
    live.misplaced.forEach(function (m) { alerts.appendChild(el("li", "alert", m)); });
    if (moving) {
      moving.replaceChildren();
      (live.moving || []).forEach(function (m) { moving.appendChild(el("li", "moving", m)); });
    }
    table.replaceChildren();
    live.rooms.forEach(function (r) {
      const tr = el("tr", r.missing || (r.wrong && r.wrong.length) ? "flag" : "");
      tr.dataset.room = r.id;
      tr.dataset.state = r.state || "";
      tr.appendChild(el("td", "", r.name));
      tr.appendChild(el("td", "", String(r.count)));
      const present = el("td", "", r.facilitators.join(", "));
      if (r.wrong && r.wrong.length) { present.appendChild(document.createTextNode(" ")); present.appendChild(badge("wrong room: " + r.wrong.join(", "))); }
      tr.appendChild(present);
      const due = el("td", "", r.due);
      if (r.missing) { due.appendChild(document.createTextNode(" ")); due.appendChild(badge("not here")); }
      else if (r.state === "moving") { due.appendChild(document.createTextNode(" ")); due.appendChild(el("span", "badge moving", "moving")); }
      tr.appendChild(due);
      let missing = "";
      if (r.expected_students) {
        missing = r.missing_students.length + " of " + r.expected_students;
        if (r.missing_students.length) { missing += ": " + r.missing_students.join(", "); }
      }
      tr.appendChild(el("td", "", missing));
      table.appendChild(tr);
    });
  }

  let pending = null;
  function refreshLive() {
    if (pending) { return; }
    pending = setTimeout(function () {
      pending = null;
      fetch("/api/sessions/" + encodeURIComponent(sid) + "/live", { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { renderLive(data.live); } });
    }, 300);
  }

  function addContribution(c, held) {
    const list = document.querySelector('ul.posts[data-group="' + c.group + '"]');
    if (!list || list.querySelector('li[data-id="' + String(c.id) + '"]')) { return; }
    const empty = list.querySelector("li.empty");
    if (empty) { empty.remove(); }
    const li = el("li", held ? "post hidden-post" : "post");
    li.dataset.id = String(c.id);
    li.appendChild(el("p", "body", c.body));
    li.appendChild(el("p", "meta", c.time_label + " · " + c.votes + " votes" + (held ? " · hidden" : "")));
    const form = el("form", "inline");
    form.method = "post";
    form.action = "/sessions/" + encodeURIComponent(sid) + "/contributions/" + c.id + (held ? "/show" : "/hide");
    const token = el("input");
    token.type = "hidden"; token.name = "csrf"; token.value = csrf;
    const button = el("button", "small", held ? "Approve / show" : "Hide");
    button.type = "submit";
    form.appendChild(token);
    form.appendChild(button);
    li.appendChild(form);
    list.appendChild(li);
  }

  const source = new EventSource("/sessions/" + encodeURIComponent(sid) + "/events");
  source.addEventListener("live", refreshLive);
  source.addEventListener("contribution", function (ev) { addContribution(JSON.parse(ev.data), false); });
  source.addEventListener("pending", function (ev) { addContribution(JSON.parse(ev.data), true); });
  setInterval(refreshLive, 10000);
})();
