/* The facilitator page: which stop is now (from the app's clock), the countdown, and live posts. */
(function () {
  "use strict";
  const root = document.getElementById("facilitator");
  if (!root || !window.Live) { return; }
  const Live = window.Live;
  const token = root.dataset.token;
  const clock = Live.clock(Number(root.dataset.now), Number(root.dataset.rate));
  const stops = Array.prototype.map.call(document.querySelectorAll("#itinerary li"), function (li) {
    return { li: li, start: Date.parse(li.dataset.start) / 1000, end: Date.parse(li.dataset.end) / 1000,
             label: li.dataset.label, group: li.dataset.group, startLabel: li.dataset.startLabel,
             endLabel: li.dataset.endLabel };
  });
  const nowText = document.getElementById("now-text");
  const clockNow = document.getElementById("clock-now");
  let clockFormat = null;
  try {
    clockFormat = new Intl.DateTimeFormat("en-GB", { timeZone: root.dataset.tz, hour: "2-digit", minute: "2-digit",
                                                     second: "2-digit", hourCycle: "h23" });
  } catch (e) {
    clockFormat = null;
  }
  const countdown = document.getElementById("countdown");

  function span(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + sec : m + ":" + sec;
  }

  function tick() {
    const now = clock.now();
    const current = stops.find(function (s) { return s.start <= now && now < s.end; }) || null;
    const after = current ? current.end : now;
    const next = stops.find(function (s) { return s.start >= after && s !== current; }) || null;
    const parts = [];
    if (current) {
      parts.push("Now: " + current.label + " until " + current.endLabel);
    } else if (next && stops.length && now >= stops[0].start) {
      parts.push("Now: moving");
    }
    if (next) { parts.push("next: " + next.label + " at " + next.startLabel); }
    let text = parts.length ? parts.join(", ") : "The session is over. Thank you!";
    text = text.charAt(0).toUpperCase() + text.slice(1);
    if (nowText.textContent !== text) { nowText.textContent = text; }
    if (current) {
      countdown.textContent = span(current.end - now) + " left in " + current.label;
    } else if (next) {
      countdown.textContent = next.label + " starts in " + span(next.start - now);
    } else {
      countdown.textContent = "";
    }
    if (clockNow && clockFormat) { clockNow.textContent = "now " + clockFormat.format(new Date(now * 1000)); }
    stops.forEach(function (s) { s.li.classList.toggle("current", s === current); });
    const focus = current && current.group ? current.group : (next && next.group ? next.group : "");
    document.querySelectorAll("section.room").forEach(function (sec) {
      sec.hidden = sec.dataset.group !== focus;
    });
    root.dataset.focus = focus;
  }

  function list(group) { return document.querySelector('ul.posts[data-group="' + group + '"]'); }

  function resync() {
    fetch("/f/" + token + "/contributions", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        Object.keys(data.rooms).forEach(function (group) {
          const ul = list(group);
          if (!ul) { return; }
          ul.replaceChildren();
          data.rooms[group].forEach(function (c) { Live.upsert(ul, c, null); });
        });
      });
  }

  Live.connect("/f/" + token + "/events", {
    clock: function (d) { clock.set(d.now, d.rate); tick(); },
    contribution: function (c) { Live.upsert(list(c.group), c, null); },
    vote: function (d) { Live.setVotes(document, d.id, d.votes); },
    hide: function (d) { Live.remove(document, d.id); },
    position: function (d) {
      const p = document.getElementById("zoom-position");
      if (!p) { return; }
      p.textContent = d.text;
      p.hidden = !d.text;
      p.classList.toggle("wrong", Boolean(d.wrong));
    }
  }, resync);
  tick();
  setInterval(tick, 250);
})();
