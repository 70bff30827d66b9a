// A counter under each box with a length limit (data-limit): the server refuses a longer text
// with a form error, and the counter shows the person how far over they are before they send.
(function () {
  "use strict";
  function attach(box) {
    if (box.dataset.counted) return;
    box.dataset.counted = "1";
    var limit = parseInt(box.dataset.limit, 10);
    var counter = document.createElement("span");
    counter.className = "counter muted small";
    counter.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", counter);
    function update() {
      var used = box.value.length;
      counter.textContent = used + " / " + limit;
      counter.classList.toggle("over", used > limit);
    }
    box.addEventListener("input", update);
    update();
  }
  function scan(root) {
    (root || document).querySelectorAll("[data-limit]").forEach(attach);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scan(event.target); });
})();
