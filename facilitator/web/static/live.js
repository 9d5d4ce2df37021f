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

  function votesLabel(votes) { return "Upvote: " + votes + (Number(votes) === 1 ? " vote" : " votes"); }

  function answeredBadge() { return el("span", "badge answered", "Answered"); }

  /* One post. `voteAction` (board): a vote button named "Upvote: 3 votes". `answerAction`
     (facilitator page): a button to mark it answered. Either way an "Answered" badge shows. */
  function postItem(c, voteAction, answerAction) {
    const li = el("li", "post");
    li.dataset.id = String(c.id);
    li.dataset.votes = String(c.votes);
    li.appendChild(el("p", "body", c.body));
    const meta = el("p", "meta", timeLabel(c) + " · ");
    if (voteAction) {
      const form = el("form", "inline vote-form");
      form.method = "post";
      form.action = voteAction + String(c.id);
      const button = el("button", "small vote");
      button.type = "submit";
      button.setAttribute("aria-label", votesLabel(c.votes));
      const arrow = el("span", null, "▲ ");
      arrow.setAttribute("aria-hidden", "true");
      button.appendChild(arrow);
      button.appendChild(el("span", "votes", String(c.votes)));
      form.appendChild(button);
      meta.appendChild(form);
    } else {
      meta.appendChild(document.createTextNode("Votes: "));
      meta.appendChild(el("span", "votes", String(c.votes)));
    }
    if (c.answered) { meta.appendChild(document.createTextNode(" ")); meta.appendChild(answeredBadge()); }
    if (answerAction) {
      const mark = el("button", "small answer", c.answered ? "Mark not answered" : "Mark answered");
      mark.type = "button";
      mark.dataset.action = answerAction + String(c.id);
      mark.setAttribute("aria-pressed", c.answered ? "true" : "false");
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(mark);
    }
    li.appendChild(meta);
    return li;
  }

  /* The "nothing posted yet" note after a list shows exactly when the list is empty. */
  function updateEmpty(list) {
    if (!list) { return; }
    let note = list.nextElementSibling;
    while (note && !note.classList.contains("empty-note")) { note = note.nextElementSibling; }
    if (note) { note.hidden = list.children.length > 0; }
  }

  function upsert(list, c, voteAction, answerAction) {
    if (!list) { return; }
    const existing = list.querySelector('li[data-id="' + String(c.id) + '"]');
    if (existing) { return; }
    const item = postItem(c, voteAction, answerAction);
    const after = Array.prototype.find.call(list.children, function (li) {
      return Number(li.dataset.id) > Number(c.id);
    });
    list.insertBefore(item, after || null);
    updateEmpty(list);
  }

  function setVotes(root, id, votes) {
    root.querySelectorAll('li[data-id="' + String(id) + '"]').forEach(function (li) {
      li.dataset.votes = String(votes);
      li.querySelectorAll(".votes").forEach(function (s) { s.textContent = String(votes); });
      li.querySelectorAll("button.vote").forEach(function (b) { b.setAttribute("aria-label", votesLabel(votes)); });
    });
  }

  function setAnswered(root, id, answered) {
    root.querySelectorAll('li[data-id="' + String(id) + '"]').forEach(function (li) {
      const meta = li.querySelector(".meta");
      const badge = li.querySelector(".badge.answered");
      if (answered && !badge && meta) {
        const mark = meta.querySelector("button.answer");
        meta.insertBefore(answeredBadge(), mark || null);
        if (mark) { meta.insertBefore(document.createTextNode(" "), mark); }
      } else if (!answered && badge) {
        badge.remove();
      }
      li.querySelectorAll("button.answer").forEach(function (b) {
        b.textContent = answered ? "Mark not answered" : "Mark answered";
        b.setAttribute("aria-pressed", answered ? "true" : "false");
      });
    });
  }

  function remove(root, id) {
    root.querySelectorAll('li[data-id="' + String(id) + '"]').forEach(function (li) {
      const list = li.parentElement;
      li.remove();
      updateEmpty(list);
    });
  }

  /* Listen to a stream; `resync` runs after a reconnect or an overflow, to refetch the lists;
     `onOpen` (optional) runs on every (re)connection, the first included. */
  function connect(url, handlers, resync, onOpen) {
    let source = null;
    let broken = false;
    function open() {
      source = new EventSource(url);
      Object.keys(handlers).forEach(function (name) {
        source.addEventListener(name, function (ev) { handlers[name](JSON.parse(ev.data)); });
      });
      source.addEventListener("open", function () {
        if (broken) { broken = false; resync(); }
        if (onOpen) { onOpen(); }
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
                  setAnswered: setAnswered, updateEmpty: updateEmpty, votesLabel: votesLabel, remove: remove,
                  connect: connect };
})();
