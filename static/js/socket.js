// A websocket to one of the server's public or personal groups that stays up: it pings every
// 25 s (proxies drop idle sockets), reconnects by itself after a growing, jittered delay, and
// hands each JSON message to the page. Used by the header badge (live.js), the project page
// (project_live.js) and the public screen (screen.js).
//   yishiSocket("/ws/...", {open: fn(), message: fn(data), close: fn(event) -> false to stop,
//                           maxDelay: ms})
window.yishiSocket = function (path, on) {
  "use strict";
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var delay = 1000, maxDelay = on.maxDelay || 30000, pinger = null, retry = null, ws = null;

  function schedule() {
    if (retry) return;
    var wait = delay + Math.floor(Math.random() * 500);
    delay = Math.min(delay * 2, maxDelay);
    retry = setTimeout(function () { retry = null; connect(); }, wait);
  }

  function connect() {
    try { ws = new WebSocket(scheme + location.host + path); } catch (e) { schedule(); return; }
    ws.onopen = function () {
      delay = 1000;
      pinger = setInterval(function () {
        if (ws.readyState === 1) ws.send('{"type":"ping"}');
      }, 25000);
      if (on.open) on.open();
    };
    ws.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      on.message(data);
    };
    ws.onclose = function (e) {
      clearInterval(pinger); pinger = null;
      if (on.close && on.close(e) === false) return;
      schedule();
    };
  }
  connect();
};
