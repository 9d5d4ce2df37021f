/* Shared by the board and the facilitator page: the app clock, post rendering, the event stream.
   Everything a student wrote is inserted with textContent, never as HTML. */
(function () {
  "use strict";

  function clock(nowSeconds, rate) {
    let base = nowSeconds;
    let at = performance.now() / 1000;
    let speed = rate;
    return {
      now: function () { return base + (performance.now() / 1000 - at) * speed; },
      set: function (nowS, rateS) { base = nowS; at = performance.now() / 1000; speed = rateS; }
    };
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* A post's time in the page's own zone (the facilitator's), else as the server labelled it. */
  function timeLabel(c) {
    const holder = document.querySelector("[data-tz]");
    if (!holder || !window.Intl) { return c.time_label; }
    try {
      return new Intl.DateTimeFormat("en-GB", { timeZone: holder.dataset.tz, hour: "2-digit", minute: "2-digit",
                                                hourCycle: "h23" }).format(new Date(c.time));
    } catch (e) {
      return c.time_label;
    }
  }

  function postItem(c, voteAction) {
    const li = el("li", "post");
    li.dataset.id = String(c.id);
    li.appendChild(el("p", "body", c.body));
    const meta = el("p", "meta", timeLabel(c) + " · ");
    if (voteAction) {
      const form = el("form", "inline vote-form");
      form.method = "post";
      form.action = voteAction + String(c.id);
      const button = el("button", "small vote", "▲ ");
      button.type = "submit";
      button.appendChild(el("span", "votes", String(c.votes)));
      form.appendChild(button);
      meta.appendChild(form);
    } else {
      meta.appendChild(document.createTextNode("▲ "));
      meta.appendChild(el("span", "votes", String(c.votes)));
    }
    li.appendChild(meta);
    return li;
  }

  function upsert(list, c, voteAction) {
    if (!list) { return; }
    const existing = list.querySelector('li[data-id="' + String(c.id) + '"]');
    if (existing) { return; }
    const item = postItem(c, voteAction);
    const after = Array.prototype.find.call(list.children, function (li) {
      return Number(li.dataset.id) > Number(c.id);
    });
    list.insertBefore(item, after || null);
  }

  function setVotes(root, id, votes) {
    root.querySelectorAll('li[data-id="' + String(id) + '"] .votes').forEach(function (s) {
      s.textContent = String(votes);
    });
  }

  function remove(root, id) {
    root.querySelectorAll('li[data-id="' + String(id) + '"]').forEach(function (li) { li.remove(); });
  }

  /* Listen to a stream; `resync` runs after a reconnect or an overflow, to refetch the lists. */
  function connect(url, handlers, resync) {
    let source = null;
    let broken = false;
    function open() {
      source = new EventSource(url);
      Object.keys(handlers).forEach(function (name) {
        source.addEventListener(name, function (ev) { handlers[name](JSON.parse(ev.data)); });
      });
      source.addEventListener("open", function () {
        if (broken) { broken = false; resync(); }
        document.body.dataset.live = "1";
      });
      source.addEventListener("error", function () { broken = true; document.body.dataset.live = "0"; });
      source.addEventListener("resync", function () {
        source.close();
        resync();
        setTimeout(open, 500);
      });
    }
    open();
  }

  window.Live = { clock: clock, timeLabel: timeLabel, el: el, postItem: postItem, upsert: upsert, setVotes: setVotes,
                  remove: remove, connect: connect };
})();
