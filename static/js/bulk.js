// "Select all on this page" for the queue's bulk bar: the header box ticks or clears every row
// box of its form (data-select-all names the form), and shows as ticked, clear or mixed as the
// rows are ticked one by one. Without script the header box stays hidden and each row box works.
(function () {
  "use strict";
  function rows(all) {
    var form = all.getAttribute("data-select-all");
    return document.querySelectorAll('input[type=checkbox][name=ids][form="' + form + '"]');
  }
  function reflect(all) {
    var boxes = rows(all);
    var ticked = 0;
    boxes.forEach(function (box) { if (box.checked) ticked += 1; });
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }
  function show(root) {
    (root || document).querySelectorAll("[data-select-all]").forEach(function (all) {
      var label = all.closest(".pick-all");
      if (label) label.hidden = false;
      reflect(all);
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    if (target.hasAttribute("data-select-all")) {
      rows(target).forEach(function (box) { box.checked = target.checked; });
    } else if (target.name === "ids" && target.form) {
      document.querySelectorAll('[data-select-all="' + target.form.id + '"]').forEach(reflect);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { show(document); });
  document.addEventListener("htmx:afterSwap", function (event) { show(event.target); });
})();
