// The monthly report's "Print" button: shown only where script runs (without it the browser's
// own Print menu does the same), and wired here because the Content-Security-Policy forbids
// inline handlers.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
