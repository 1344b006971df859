// The recording screen: keep the counts and the quorum line up to date while the
// secretary taps, and stop a second submit. Works without it (the server checks all).
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form) { return; }
  var rule = form.dataset.quorumRule || "";
  var voting = parseInt(form.dataset.quorumVoting || "0", 10);
  var needed = parseInt(form.dataset.quorumNeeded || "0", 10);
  var out = document.getElementById("quorum-status");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function update() {
    var counts = { present: 0, remote: 0, excused: 0, absent: 0 };
    var attending = 0;
    form.querySelectorAll(".att-row").forEach(function (row) {
      var checked = row.querySelector("input.btn-check:checked");
      if (!checked) { return; }
      counts[checked.value] += 1;
      if (row.dataset.voting === "1" && (checked.value === "present" || checked.value === "remote")) {
        attending += 1;
      }
    });
    Object.keys(counts).forEach(function (key) {
      var el = form.querySelector('[data-count="' + key + '"]');
      if (el) { el.textContent = counts[key]; }
    });
    if (rule && out) {
      var values = { attending: attending, voting: voting, needed: needed };
      var met = voting > 0 && attending >= needed;
      out.textContent = voting === 0 ? out.dataset.msgNone : fill(met ? out.dataset.msgMet : out.dataset.msgNot, values);
      out.classList.toggle("quorum-met", met);
      out.classList.toggle("quorum-not-met", !met);
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("submit", function () {
    // The idempotency key makes a second submit harmless; this just saves the wait.
    var button = form.querySelector("button[type=submit]");
    window.setTimeout(function () { if (button) { button.disabled = true; } }, 0);
  });
  update();
})();
