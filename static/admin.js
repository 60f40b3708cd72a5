// The overview's script: keeps its count live from the widget's event
// stream (the same numbers every reader sees). Without it the page still shows the count
// as of loading.
(function () {
  "use strict";
  var box = document.querySelector("[data-live-campaign]");
  if (!box || !window.EventSource) return;
  var lang = box.getAttribute("data-lang") === "uk" ? "uk-UA" : "en-GB";
  var money = box.getAttribute("data-metric") === "amount";
  var currency = (box.getAttribute("data-currency") || "eur").toUpperCase();
  function format(n) {
    return money
      ? new Intl.NumberFormat(lang, { style: "currency", currency: currency }).format(n / 100)
      : new Intl.NumberFormat(lang).format(n);
  }
  function show(name, value, text) {
    var el = box.querySelector('[data-figure="' + name + '"]');
    if (!el) return;
    el.setAttribute("data-value", String(value));
    el.textContent = text;
  }
  var slug = box.getAttribute("data-live-campaign");
  var stream = new EventSource("/widget/" + encodeURIComponent(slug) + "/events");
  stream.onmessage = function (event) {
    var p = JSON.parse(event.data);
    show("count", p.count, format(p.count));
    show("goal", p.goal, format(p.goal));
    show("percent", p.percent, String(p.percent));
    var meter = box.querySelector(".meter");
    meter.setAttribute("aria-valuenow", String(p.percent));
    meter.firstElementChild.style.width = p.percent + "%";
  };
})();

// Charts wider than a phone scroll sideways: start at the most recent end.
(function () {
  "use strict";
  document.querySelectorAll(".chart-scroll").forEach(function (box) {
    box.scrollLeft = box.scrollWidth;
  });
})();
