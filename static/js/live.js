// Live unread count in the header: a websocket to the user's own group; reconnects by itself.
(function () {
  var badge = document.getElementById("unread-count");
  if (!badge || !("WebSocket" in window)) return;
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var delay = 1000;
  function connect() {
    var ws = new WebSocket(scheme + location.host + "/ws/notifications/");
    ws.onopen = function () { delay = 1000; };
    ws.onmessage = function (e) {
      var data = JSON.parse(e.data);
      if (data.kind === "notification") {
        var n = parseInt(badge.textContent || "0", 10) + 1;
        badge.textContent = n; badge.classList.remove("hidden");
      } else if (typeof data.unread === "number") {
        badge.textContent = data.unread; badge.classList.toggle("hidden", data.unread === 0);
      }
    };
    ws.onclose = function () { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  }
  connect();
})();
