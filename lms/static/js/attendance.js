// Attendance sheet: tap anywhere on a row to toggle "absent"; the form still works without this.
(function () {
  "use strict";
  var form = document.querySelector(".attendance-form");
  if (!form) { return; }
  var summary = form.querySelector(".att-summary");
  function refresh() {
    var boxes = form.querySelectorAll("input[name=absent]");
    var absent = 0;
    boxes.forEach(function (b) {
      b.closest("tr").classList.toggle("is-absent", b.checked);
      if (b.checked) { absent += 1; }
    });
    if (summary) {
      summary.textContent = summary.dataset.total - absent + " / " + summary.dataset.total;
    }
  }
  form.addEventListener("click", function (ev) {
    var row = ev.target.closest("tr.att-row");
    if (!row || ev.target.matches("input, label, a, button")) { return; }
    var box = row.querySelector("input[name=absent]");
    box.checked = !box.checked;
    refresh();
  });
  form.addEventListener("change", refresh);
  refresh();
})();
