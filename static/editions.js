// The editions list, live: every 2 s, each edition still going out (scheduled, sending, paused,
// or sent with emails still in the outbox) asks for its progress and shows it in its row:
// status, counts and the controls that apply. Polling stops once every edition on the list has
// settled. Without this script the list shows where each edition stood when the page loaded.
(function () {
  "use strict";
  var table = document.getElementById("editions");
  if (!table || !window.fetch) return;
  var lang = document.documentElement.lang;
  var EVERY_MS = 2000;

  function unsettled() {
    return Array.prototype.slice.call(
      table.querySelectorAll("tr[data-progress]:not([data-settled])")
    );
  }

  function setText(el, text) {
    // Only a change is written: the progress cell is a live region, read out on each change.
    if (el && el.textContent !== text) el.textContent = text;
  }

  function show(row, p) {
    var badge = row.querySelector(".badge");
    setText(badge, p.label);
    if (badge) badge.setAttribute("data-status", p.status);
    setText(row.querySelector("[data-progress-text]"), p.text);
    row.querySelectorAll("form[data-control]").forEach(function (form) {
      form.hidden = p.controls.indexOf(form.getAttribute("data-control")) < 0;
    });
    if (p.settled) row.setAttribute("data-settled", "");
  }

  function refresh(row) {
    var url = row.getAttribute("data-progress") + "?lang=" + encodeURIComponent(lang);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        // Signed out, or the edition is gone: this row is no longer followed.
        if (res.status >= 400 && res.status < 500) row.removeAttribute("data-progress");
        return res.ok ? res.json() : null;
      })
      .then(function (p) {
        if (p) show(row, p);
      })
      .catch(function () {
        // A failed look (the service restarting) is retried at the next turn.
      });
  }

  function poll() {
    var rows = unsettled();
    if (rows.length === 0) return;
    Promise.all(rows.map(refresh)).then(function () {
      window.setTimeout(poll, EVERY_MS);
    });
  }

  window.setTimeout(poll, EVERY_MS);
})();
