// The hall screen's meeting page (/screen/<slug>/meeting/): applies "meeting.live" events from
// /ws/screen/<slug>/ in place (attendance against quorum, the current agenda item and its vote,
// each item's outcome). An event about another meeting, or a reconnect (events missed while
// offline), re-reads the snapshot; if the current meeting has changed the page reloads (its QR
// code is another meeting's). Text goes in with textContent only.
(function () {
  "use strict";
  var box = document.getElementById("meeting-live");
  if (!box || !window.yishiSocket) return;
  var conn = document.getElementById("conn");
  var L = JSON.parse(document.getElementById("meeting-labels").textContent);
  var shown = box.getAttribute("data-meeting-id") || "";
  var snapshotUrl = box.getAttribute("data-snapshot");
  var opened = false;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (m, k) {
      return values[k] === undefined ? m : String(values[k]);
    });
  }
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }

  function apply(state) {
    if (!state || String(state.meeting_id) !== shown) return;
    // A hearing has no members, no quorum and no vote: residents sign in and speak.
    var hearing = state.body === "hearing";
    var status = field("status");
    if (status) status.textContent = L.status[state.status] || state.status;
    var q = state.quorum, quorum = field("quorum");
    if (quorum && q) {
      quorum.textContent = "";
      quorum.setAttribute("data-present", q.present);
      quorum.setAttribute("data-reached", q.reached ? "1" : "0");
      if (hearing) {
        quorum.textContent = fmt(L.signed_in[q.present === 1 ? "one" : "other"], { n: q.present });
      } else {
        quorum.appendChild(document.createTextNode(
          fmt(L.attendance, { present: q.present, total: q.total, needed: q.needed }) + " · "));
        quorum.appendChild(el("strong", null, q.reached ? L.reached : L.not_reached));
      }
    }
    var current = field("current"), c = state.current;
    if (current) {
      current.textContent = "";
      if (c) {
        current.setAttribute("data-item-id", c.id);
        current.appendChild(el("p", "meta", c.rollcall ? L.current_rollcall : L.current));
        var title = el("p");
        title.appendChild(el("strong", null, c.order + ". " + c.matter));
        current.appendChild(title);
        if (!hearing) {
          if (!c.open) current.appendChild(el("p", null, L.outcome[c.outcome] || c.outcome));
          var counts = el("div", "vote-counts");
          ["yes", "no", "abstain", "recused"].forEach(function (k) {
            var span = el("span", "vote-count");
            var n = el("strong", null, c[k]);
            n.setAttribute("data-count", k);
            span.appendChild(n);
            span.appendChild(document.createTextNode(L.choice[k]));
            counts.appendChild(span);
          });
          current.appendChild(counts);
          current.appendChild(el("p", "meta", fmt(L.item_quorum, { present: c.present, needed: c.quorum_needed })));
        }
      }
    }
    var list = field("items");
    if (list && state.items) {
      list.textContent = "";
      state.items.forEach(function (it) {
        var li = el("li", null, hearing ? it.matter : it.matter + " — ");
        li.setAttribute("data-item-id", it.id);
        if (!hearing) li.appendChild(el("strong", null, L.outcome[it.outcome] || it.outcome));
        list.appendChild(li);
      });
    }
  }

  function reread() {
    fetch(snapshotUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (snap) {
        if (!snap) return;
        var id = snap.meeting ? String(snap.meeting.meeting_id) : "";
        if (id !== shown) { location.reload(); return; }
        apply(snap.meeting);
      })
      .catch(function () {});
  }

  function state(name) {
    conn.setAttribute("data-state", name);
    conn.textContent = name === "open" ? L.live : L.reconnecting;
  }

  window.yishiSocket(box.getAttribute("data-ws"), {
    open: function () {
      state("open");
      if (opened) reread(); // events may have been missed while offline
      opened = true;
    },
    message: function (data) {
      if (data.kind !== "meeting.live") return;
      if (String(data.meeting_id) === shown && data.status !== "closed") apply(data);
      else reread();
    },
    close: function () { state("closed"); }
  });
})();
