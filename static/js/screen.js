// The public screen (大屏): renders the community's snapshot, applies live tallies from
// /ws/screen/<slug>/ in place (evaluation.tally, ballot.tally: the server reads the public tally
// and sends it whole), re-reads the snapshot when anything else changes (a round opens or closes)
// and after every reconnect (events missed while offline), and reconnects by itself. The snapshot
// is cached on the server for a second: one read before an event ("as_of" earlier than the
// event's "published_at") is read again once that second is over. Text goes in with
// textContent; only the server-made QR SVG is markup.
(function () {
  "use strict";
  var body = document.body;
  var board = document.getElementById("board");
  var conn = document.getElementById("conn");
  var clock = document.getElementById("clock");
  var L = JSON.parse(document.getElementById("screen-labels").textContent);
  var snapshot = JSON.parse(document.getElementById("screen-snapshot").textContent);
  var wsPath = body.getAttribute("data-ws");
  var snapshotUrl = body.getAttribute("data-snapshot");
  var MAX_STANDINGS = 8; // a ballot shows its leading projects; the rest are counted
  var CACHED_MS = 1100; // how long the server may serve the same snapshot, and a little more

  // --- small helpers ------------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function pct(value) {
    var n = parseFloat(value);
    return isFinite(n) ? (n * 100).toFixed(1) + "%" : "—";
  }
  function widthOf(value) {
    var n = parseFloat(value);
    return isFinite(n) ? Math.max(0, Math.min(100, n * 100)) + "%" : "0%";
  }
  function money(value) {
    var n = parseFloat(value);
    return isFinite(n) ? n.toLocaleString("zh-CN", { maximumFractionDigits: 2 }) : value;
  }
  function fmt(template, n) { return String(template).replace("%(n)s", n); }
  function flash(node) {
    node.classList.remove("flash");
    void node.offsetWidth; // restart the animation
    node.classList.add("flash");
  }

  // --- rendering ----------------------------------------------------------------------------
  function metric(name, label, value, line, lineLabel) {
    var box = el("div", "metric");
    box.setAttribute("data-metric", name);
    var head = el("div", "metric-head");
    head.appendChild(el("span", "metric-label", label));
    var v = el("span", "metric-value", pct(value));
    v.setAttribute("data-field", name);
    head.appendChild(v);
    box.appendChild(head);
    var bar = el("div", "meter");
    var fill = el("span", "meter-fill");
    fill.style.width = widthOf(value);
    bar.appendChild(fill);
    var mark = el("span", "meter-line");
    mark.style.left = widthOf(line);
    mark.title = lineLabel + " " + pct(line);
    bar.appendChild(mark);
    box.appendChild(bar);
    box.appendChild(el("div", "metric-line", lineLabel + " " + pct(line)));
    return box;
  }

  function qr(svg, caption, url) {
    var fig = el("figure", "qr");
    var code = el("div", "qr-code");
    code.innerHTML = svg; // server-made SVG (qrcode), no user text in it
    fig.appendChild(code);
    fig.appendChild(el("figcaption", "qr-caption", caption));
    var link = el("div", "qr-url", url);
    fig.appendChild(link);
    return fig;
  }

  function counts(t) {
    var row = el("div", "counts");
    [["satisfied", L.satisfied], ["basically_satisfied", L.basically_satisfied], ["dissatisfied", L.dissatisfied]].forEach(function (pair) {
      var c = el("span", "count count-" + pair[0]);
      c.appendChild(el("span", "count-label", pair[1]));
      var n = el("strong", "count-n", t[pair[0]]);
      n.setAttribute("data-field", pair[0]);
      c.appendChild(n);
      row.appendChild(c);
    });
    var total = el("span", "count count-votes");
    total.appendChild(el("span", "count-label", L.votes + " / " + L.eligible));
    var n = el("strong", "count-n");
    var votes = el("span", null, t.votes);
    votes.setAttribute("data-field", "votes");
    var eligible = el("span", null, t.eligible);
    eligible.setAttribute("data-field", "eligible");
    n.appendChild(votes); n.appendChild(document.createTextNode(" / ")); n.appendChild(eligible);
    total.appendChild(n);
    row.appendChild(total);
    return row;
  }

  function evaluationCard(e) {
    var card = el("article", "card-eval");
    card.setAttribute("data-project-id", e.project_id);
    card.setAttribute("data-round", e.tally.round);
    var main = el("div", "card-main");
    main.appendChild(el("h2", "card-title", e.title));
    main.appendChild(el("p", "card-meta", fmt(L.round, e.tally.round) + " · " + L.closes + " " + e.closes_at_label));
    var metrics = el("div", "metrics");
    metrics.appendChild(metric("satisfaction", L.satisfaction, e.tally.satisfaction, e.tally.pass_rate, L.pass_line));
    metrics.appendChild(metric("turnout", L.turnout, e.tally.turnout, e.tally.min_turnout, L.min_turnout));
    main.appendChild(metrics);
    var foot = el("div", "tally-foot");
    foot.appendChild(counts(e.tally));
    var verdict = el("p", "verdict", e.tally.passing ? L.passing : L.not_passing);
    verdict.setAttribute("data-field", "passing");
    verdict.setAttribute("data-passing", e.tally.passing ? "1" : "0");
    foot.appendChild(verdict);
    main.appendChild(foot);
    card.appendChild(main);
    card.appendChild(qr(e.qr_svg, L.scan_evaluate, e.url));
    card._votes = e.tally.votes;
    return card;
  }

  function ballotMeta(b) {
    return L.budget + " " + money(b.budget) + " " + L.yuan + " · " + L.voters + " " + b.voters +
      (b.eligible ? " / " + b.eligible : "") + " · " + L.closes + " " + b.closes_at_label;
  }

  function standingsList(entries) {
    var box = el("div", "standings-box");
    var top = entries.length ? entries[0].votes : 0;
    var list = el("ol", "standings");
    entries.slice(0, MAX_STANDINGS).forEach(function (entry) {
      var li = el("li", "standing");
      var head = el("div", "standing-head");
      head.appendChild(el("span", "standing-name", entry.name));
      head.appendChild(el("span", "standing-votes", entry.votes + " " + L.approvals));
      li.appendChild(head);
      var bar = el("div", "meter meter-thin");
      var fill = el("span", "meter-fill");
      fill.style.width = top ? (100 * entry.votes / top) + "%" : "0%";
      bar.appendChild(fill);
      li.appendChild(bar);
      li.appendChild(el("div", "standing-cost", L.cost + " " + money(entry.cost) + " " + L.yuan));
      list.appendChild(li);
    });
    box.appendChild(list);
    if (entries.length > MAX_STANDINGS) {
      box.appendChild(el("p", "standings-more", fmt(L.more, entries.length - MAX_STANDINGS)));
    }
    return box;
  }

  function ballotCard(b) {
    var card = el("article", "card-ballot");
    card.setAttribute("data-round-id", b.round_id);
    var main = el("div", "card-main");
    main.appendChild(el("h2", "card-title", L.ballot + " · " + b.title));
    main.appendChild(el("p", "card-meta", ballotMeta(b)));
    main.appendChild(standingsList(b.entries));
    card.appendChild(main);
    card.appendChild(qr(b.qr_svg, L.scan_ballot, b.url));
    card._ballot = b;
    card._voters = b.voters;
    return card;
  }

  function recentList(rows) {
    var box = el("section", "recent");
    box.appendChild(el("h2", "recent-title", L.recent));
    var list = el("ul", "recent-list");
    rows.forEach(function (r) {
      var li = el("li", "recent-row " + (r.passed ? "ok" : "bad"));
      li.appendChild(el("span", "recent-name", r.round > 1 ? r.title + " · " + fmt(L.round, r.round) : r.title));
      li.appendChild(el("span", "recent-figure", L.satisfaction + " " + pct(r.satisfaction) + " · " + L.turnout + " " + pct(r.turnout)));
      li.appendChild(el("span", "recent-verdict", r.passed ? L.passed : L.failed));
      list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  // The newest tally seen per project: a snapshot fetched just before a vote must not undo it.
  var latest = {};
  function newest(e) {
    var t = latest[e.project_id];
    if (t && String(t.round) === String(e.tally.round) && t.votes > e.tally.votes) e.tally = t;
    return e;
  }

  function render(snap) {
    snapshot = snap;
    snap.evaluations.forEach(newest);
    var frag = document.createDocumentFragment();
    var count = snap.evaluations.length + snap.ballots.length;
    var cards = el("div", "cards");
    cards.setAttribute("data-size", count <= 1 ? "1" : count === 2 ? "2" : "many");
    snap.evaluations.forEach(function (e) { cards.appendChild(evaluationCard(e)); });
    snap.ballots.forEach(function (b) { cards.appendChild(ballotCard(b)); });
    if (!snap.evaluations.length && !snap.ballots.length) {
      cards.appendChild(el("p", "screen-empty", L.empty));
    }
    frag.appendChild(cards);
    // Latest results only while the screen has room for them (one open item or none).
    if (count <= 1 && snap.recent && snap.recent.length) frag.appendChild(recentList(snap.recent));
    board.replaceChildren(frag);
  }

  // A live tally for one evaluation: numbers change in place (no re-render, no reload).
  function applyTally(projectId, t, publishedAt) {
    var seen = latest[projectId];
    if (!seen || String(seen.round) !== String(t.round) || t.votes >= seen.votes) latest[projectId] = t;
    var card = board.querySelector('.card-eval[data-project-id="' + projectId + '"]');
    if (!card || String(card.getAttribute("data-round")) !== String(t.round)) { refreshSoon(publishedAt); return; }
    if (typeof card._votes === "number" && t.votes < card._votes) return; // an older event
    card._votes = t.votes;
    ["satisfaction", "turnout"].forEach(function (name) {
      var box = card.querySelector('[data-metric="' + name + '"]');
      box.querySelector('[data-field="' + name + '"]').textContent = pct(t[name]);
      box.querySelector(".meter-fill").style.width = widthOf(t[name]);
    });
    ["satisfied", "basically_satisfied", "dissatisfied", "votes", "eligible"].forEach(function (name) {
      card.querySelector('[data-field="' + name + '"]').textContent = t[name];
    });
    var verdict = card.querySelector('[data-field="passing"]');
    verdict.textContent = t.passing ? L.passing : L.not_passing;
    verdict.setAttribute("data-passing", t.passing ? "1" : "0");
    flash(card);
  }

  // Live standings of one budget ballot: its list and its voter count change in place.
  function applyBallot(data) {
    var card = board.querySelector('.card-ballot[data-round-id="' + data.round_id + '"]');
    if (!card || !card._ballot) { refreshSoon(data.published_at); return; }
    if (typeof card._voters === "number" && data.voters < card._voters) return; // an older event
    var b = card._ballot;
    b.voters = data.voters;
    b.eligible = data.eligible;
    b.entries = (data.standings || []).map(function (row) {
      return { project_id: row.project_id, name: row.name, cost: row.cost, votes: row.votes };
    });
    card._voters = data.voters;
    card.querySelector(".card-meta").textContent = ballotMeta(b);
    card.querySelector(".standings-box").replaceWith(standingsList(b.entries));
    flash(card);
  }

  // --- snapshot refresh (coalesced) -------------------------------------------------------------
  // ``after``: Unix seconds (server clock) of an event the snapshot must include; a snapshot read
  // before it came from the server's cache and is read again once the cache has let it go.
  var refreshing = false, wanted = 0, soon = null;
  function refresh(after) {
    wanted = Math.max(wanted, after || 0);
    if (refreshing) return;
    refreshing = true;
    var need = wanted;
    fetch(snapshotUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (snap) {
        render(snap);
        if (snap.as_of >= wanted) wanted = 0;
      })
      .catch(function () { wanted = 0; /* keep what is shown; the next event or reconnect retries */ })
      .then(function () {
        refreshing = false;
        if (wanted) later(need === wanted ? CACHED_MS : 300);
      });
  }
  function later(ms) {
    if (soon) return;
    soon = setTimeout(function () { soon = null; refresh(); }, ms);
  }
  function refreshSoon(after) {
    wanted = Math.max(wanted, after || 0);
    later(300);
  }

  // --- the websocket, reconnecting by itself -----------------------------------------------------
  function status(state) {
    conn.setAttribute("data-state", state);
    conn.textContent = state === "open" ? L.live : L.reconnecting;
  }
  function connect() {
    yishiSocket(wsPath, {
      maxDelay: 15000,
      open: function () {
        status("open");
        // Catch up on whatever happened before (or while) we were not listening: now, and once
        // more when a snapshot cached before this moment can no longer be served.
        refresh();
        setTimeout(refresh, CACHED_MS);
      },
      message: function (data) {
        if (data.kind === "evaluation.tally" && data.tally) applyTally(data.project_id, data.tally, data.published_at);
        else if (data.kind === "ballot.tally" && data.standings) applyBallot(data);
        else if (data.kind && data.kind !== "pong" && data.kind !== "meeting.live") refreshSoon(data.published_at);
      },
      close: function () { status("closed"); }
    });
  }

  function tick() {
    var now = new Date();
    clock.textContent = now.toLocaleString(document.documentElement.lang || undefined, {
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
    });
  }

  render(snapshot);
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 60000); // a safety net for anything without an event
  connect();
})();
