/* EcomOps pages: draws every Chart.js chart from its JSON config, follows long jobs with
   a progress bar, submits the language switcher on change. No framework, no CDN. */
(function () {
  "use strict";
  var PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2",
                 "#db2777", "#65a30d", "#ea580c", "#475569"];
  window.ecomopsCharts = [];

  function colour(config) {
    var many = ["doughnut", "pie", "polarArea"].indexOf(config.type) >= 0;
    (config.data.datasets || []).forEach(function (ds, i) {
      var c = PALETTE[i % PALETTE.length];
      if (many && !ds.backgroundColor) {
        ds.backgroundColor = ds.data.map(function (_, j) { return PALETTE[j % PALETTE.length]; });
      }
      if (!ds.backgroundColor) ds.backgroundColor = config.type === "line" ? c + "33" : c + "cc";
      if (!ds.borderColor) ds.borderColor = c;
    });
    config.options = config.options || {};
    config.options.maintainAspectRatio = false;
    config.options.animation = false;
    return config;
  }

  function drawCharts() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) return;
      var chart = new window.Chart(canvas, colour(JSON.parse(source.textContent)));
      canvas.dataset.drawn = "1";
      window.ecomopsCharts.push(chart);
    });
  }

  function follow(box) {
    var bar = box.querySelector("progress"), text = box.querySelector("[data-progress-text]");
    function tick() {
      fetch(box.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (p) {
          if (bar) { bar.max = 100; bar.value = p.percent || 0; }
          if (text) text.textContent = p.message || "";
          if (p.done) {
            box.dataset.done = "1";
            if (p.result_url) window.location.assign(p.result_url);
            else if (box.dataset.reload !== undefined) window.location.reload();
          } else {
            window.setTimeout(tick, 1000);
          }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    document.querySelectorAll("[data-progress-url]").forEach(follow);
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.dataset.confirm)) e.preventDefault();
      });
    });
  });
})();
