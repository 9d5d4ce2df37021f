/* The facilitator page: which stop is now (from the app's clock), the countdown, live posts, and
   where Zoom sees them: fetched again on every (re)connection and whenever the clock crosses a
   boundary the server named (`recheck`), so a warning never outlives the situation it described. */
(function () {
  "use strict";
  const root = document.getElementById("facilitator");
  if (!root || !window.Live) { return; }
  const Live = window.Live;
  const token = root.dataset.token;
  const answerAction = "/f/" + token + "/answered/";
  const clock = Live.clock(Number(root.dataset.now), Number(root.dataset.rate));
  const stops = Array.prototype.map.call(document.querySelectorAll("#itinerary li"), function (li) {
    return { li: li, start: Date.parse(li.dataset.start) / 1000, end: Date.parse(li.dataset.end) / 1000,
             label: li.dataset.label, group: li.dataset.group, startLabel: li.dataset.startLabel,
             endLabel: li.dataset.endLabel };
  });
  const nowText = document.getElementById("now-text");
  const clockNow = document.getElementById("clock-now");
  const announce = document.getElementById("announce");
  const positionBox = document.getElementById("zoom-position");
  let clockFormat = null;
  try {
    clockFormat = new Intl.DateTimeFormat("en-GB", { timeZone: root.dataset.tz, hour: "2-digit", minute: "2-digit",
                                                     second: "2-digit", hourCycle: "h23" });
  } catch (e) {
    clockFormat = null;
  }
  const countdown = document.getElementById("countdown");
  let recheck = positionBox && positionBox.dataset.recheck ? Number(positionBox.dataset.recheck) : null;
  let fetching = false;
  let retryAt = 0;
  let lastStop;  // undefined until the first tick: the first state is not announced
  let minuteMarkFor = null;

  function span(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + sec : m + ":" + sec;
  }

  /* The stop running now (the shortest: a talk within its plenary) and the next one to start. */
  function currentAndNext(now) {
    let current = null;
    stops.forEach(function (s) {
      if (s.start <= now && now < s.end && (!current || s.end - s.start < current.end - current.start)) {
        current = s;
      }
    });
    const next = stops.find(function (s) { return s.start > now && s !== current; }) || null;
    return [current, next];
  }

  function say(text) { if (announce && announce.textContent !== text) { announce.textContent = text; } }

  function showPosition(d) {
    if (!positionBox || !d) { return; }
    if (positionBox.textContent !== d.text) { positionBox.textContent = d.text; }
    positionBox.hidden = !d.text;
    positionBox.classList.toggle("wrong", Boolean(d.wrong));
    positionBox.classList.toggle("moving", d.state === "moving");
    positionBox.dataset.state = d.state || "";
    recheck = typeof d.recheck === "number" ? d.recheck : null;
  }

  function refreshPosition() {
    if (fetching || performance.now() < retryAt) { return; }
    fetching = true;
    fetch("/f/" + token + "/position", { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        fetching = false;
        if (data) { showPosition(data.position); }
      })
      .catch(function () { fetching = false; retryAt = performance.now() + 5000; });  // offline: ask again in 5 s
  }

  function tick() {
    const now = clock.now();
    const pair = currentAndNext(now);
    const current = pair[0];
    const next = pair[1];
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
    let left = null;
    if (current) {
      left = current.end - now;
      countdown.textContent = span(left) + " left in " + current.label;
    } else if (next) {
      left = next.start - now;
      countdown.textContent = next.label + " starts in " + span(left);
    } else {
      countdown.textContent = "";
    }
    // Assistive technology hears the stop change and the one-minute mark, never every second.
    if (lastStop !== undefined && current !== lastStop) { say(text); }
    lastStop = current;
    // The one-minute mark is announced once per stop, and only if the page saw it coming.
    const target = current || next;
    if (target && left !== null && left > 60) { minuteMarkFor = target; }
    if (target && left !== null && left <= 60 && left > 0 && minuteMarkFor === target) {
      minuteMarkFor = null;
      say(current ? "One minute left in " + current.label + "." : next.label + " starts in one minute.");
    }
    if (clockNow && clockFormat) { clockNow.textContent = "now " + clockFormat.format(new Date(now * 1000)); }
    stops.forEach(function (s) { s.li.classList.toggle("current", s === current); });
    let focus = current && current.group ? current.group : "";
    if (!focus) {
      const coming = stops.find(function (s) { return s.group && s.start > now; });
      focus = coming ? coming.group : "";
    }
    // After their last room every room they visited stays readable.
    document.querySelectorAll("section.room").forEach(function (sec) {
      sec.hidden = Boolean(focus) && sec.dataset.group !== focus;
    });
    root.dataset.focus = focus;
    if (recheck !== null && now >= recheck) { refreshPosition(); }
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
          data.rooms[group].forEach(function (c) { Live.upsert(ul, c, null, answerAction); });
          Live.updateEmpty(ul);
        });
      });
  }

  document.addEventListener("click", function (ev) {
    const button = ev.target instanceof Element ? ev.target.closest("button.answer") : null;
    if (!button) { return; }
    const answered = button.getAttribute("aria-pressed") !== "true";
    fetch(button.dataset.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ answered: answered })
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { Live.setAnswered(document, data.id, data.answered); } });
  });

  Live.connect("/f/" + token + "/events", {
    clock: function (d) { clock.set(d.now, d.rate); tick(); },
    contribution: function (c) { Live.upsert(list(c.group), c, null, answerAction); },
    vote: function (d) { Live.setVotes(document, d.id, d.votes); },
    answered: function (d) { Live.setAnswered(document, d.id, d.answered); },
    hide: function (d) { Live.remove(document, d.id); },
    position: showPosition
  }, resync, function () { retryAt = 0; refreshPosition(); });  // every (re)connection asks again
  tick();
  setInterval(tick, 250);
})();
