// The project page's evaluation card follows the votes live: a websocket to the project's public
// group (/ws/projects/<id>/). Each "evaluation.tally" event carries the whole tally, so numbers
// are replaced in place; an older tally (fewer votes in the same round) never overwrites a newer
// one. The socket pings and reconnects by itself (socket.js).
(function () {
  "use strict";
  var card = document.getElementById("evaluation");
  if (!card || !card.hasAttribute("data-live") || !("WebSocket" in window) || !window.yishiSocket) return;
  var projectId = card.getAttribute("data-project-id");

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

  yishiSocket("/ws/projects/" + projectId + "/", {
    open: function () { card.setAttribute("data-live", "open"); },
    message: function (data) {
      if (data.kind === "evaluation.tally" && data.tally && String(data.project_id) === projectId) {
        apply(data.tally);
      }
    },
    close: function () { card.setAttribute("data-live", "closed"); }
  });
})();
