// The project page's evaluation card follows the votes live: a websocket to the project's public
// group (/ws/projects/<id>/). Each "evaluation.tally" event carries the whole tally, so numbers
// are replaced in place; an older tally (fewer votes in the same round) never overwrites a newer
// one. Pings every 25 s, reconnects by itself with a growing, jittered delay.
(function () {
  "use strict";
  var card = document.getElementById("evaluation");
  if (!card || !card.hasAttribute("data-live") || !("WebSocket" in window)) return;
  var projectId = card.getAttribute("data-project-id");
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var url = scheme + location.host + "/ws/projects/" + projectId + "/";
  var delay = 1000, maxDelay = 30000, pinger = null, retry = null, ws = null;

  function pct(value) {
    var n = parseFloat(value);
    return isNaN(n) ? "—" : (n * 100).toFixed(1) + "%";
  }

  function apply(t) {
    if (String(t.round) !== card.getAttribute("data-round")) return;
    if (t.votes < parseInt(card.getAttribute("data-votes") || "0", 10)) return; // an older event
    card.setAttribute("data-votes", String(t.votes));
    ["satisfied", "basically_satisfied", "dissatisfied", "votes", "eligible"].forEach(function (name) {
      var el = card.querySelector('[data-field="' + name + '"]');
      if (el) el.textContent = String(t[name]);
    });
    ["satisfaction", "turnout"].forEach(function (name) {
      var el = card.querySelector('[data-field="' + name + '"]');
      if (el) el.textContent = pct(t[name]);
    });
  }

  function schedule() {
    if (retry) return;
    var wait = delay + Math.floor(Math.random() * 500);
    delay = Math.min(delay * 2, maxDelay);
    retry = setTimeout(function () { retry = null; connect(); }, wait);
  }

  function connect() {
    try { ws = new WebSocket(url); } catch (e) { schedule(); return; }
    ws.onopen = function () {
      delay = 1000;
      card.setAttribute("data-live", "open");
      pinger = setInterval(function () {
        if (ws.readyState === 1) ws.send('{"type":"ping"}');
      }, 25000);
    };
    ws.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (data.kind === "evaluation.tally" && data.tally && String(data.project_id) === projectId) {
        apply(data.tally);
      }
    };
    ws.onclose = function () {
      clearInterval(pinger); pinger = null;
      card.setAttribute("data-live", "closed");
      schedule();
    };
  }
  connect();
})();
