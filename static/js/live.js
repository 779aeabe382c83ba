// Live unread count in the page header: a websocket to the signed-in user's own group.
// The server sends the exact count on (re)connect and with every notification, so the badge
// never drifts; the connection pings every 25 s (proxies drop idle sockets) and reconnects by
// itself with a growing, jittered delay. On the notification list page a new notification also
// shows a "new notification" line above the list.
(function () {
  "use strict";
  var badge = document.getElementById("unread-count");
  if (!badge || !("WebSocket" in window)) return;
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var url = scheme + location.host + "/ws/notifications/";
  var delay = 1000, maxDelay = 30000, pinger = null, retry = null, ws = null;

  function setCount(n) {
    badge.textContent = String(n);
    badge.classList.toggle("hidden", n === 0);
    badge.setAttribute("aria-label", String(n));
  }

  function showNew(notification) {
    var box = document.getElementById("live-notice");
    var list = document.getElementById("notification-list");
    if (!box || !list || !notification) return;
    box.querySelector("[data-text]").textContent = (list.getAttribute("data-new-text") || "") + notification.verb;
    box.classList.remove("hidden");
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
      badge.setAttribute("data-live", "open");
      pinger = setInterval(function () {
        if (ws.readyState === 1) ws.send('{"type":"ping"}');
      }, 25000);
    };
    ws.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (typeof data.unread === "number") setCount(data.unread);
      if (data.kind === "notification") showNew(data.notification);
    };
    ws.onclose = function (e) {
      clearInterval(pinger); pinger = null;
      badge.setAttribute("data-live", "closed");
      if (e.code === 4403) return; // signed out: nothing to listen to
      schedule();
    };
  }
  connect();
})();
