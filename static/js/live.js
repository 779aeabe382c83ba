// Live unread count in the page header: a websocket to the signed-in user's own group.
// The server sends the exact count on (re)connect and with every notification, so the badge
// never drifts; the connection pings and reconnects by itself (socket.js). On the notification
// list page a new notification also
// shows a "new notification" line above the list.
(function () {
  "use strict";
  var badge = document.getElementById("unread-count");
  if (!badge || !("WebSocket" in window) || !window.yishiSocket) return;

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

  yishiSocket("/ws/notifications/", {
    open: function () { badge.setAttribute("data-live", "open"); },
    message: function (data) {
      if (typeof data.unread === "number") setCount(data.unread);
      if (data.kind === "notification") showNew(data.notification);
    },
    close: function (e) {
      badge.setAttribute("data-live", "closed");
      return e.code !== 4403; // signed out: nothing to listen to
    }
  });
})();
