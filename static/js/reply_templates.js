// "Use a template" beside a reply's text box: choosing a template (or its language) fills the box
// with the template rendered for this request by the API, for the person to edit before sending.
// Without script, or when the API cannot be reached, the "Insert" button asks the server instead.
(function () {
  "use strict";
  var cache = {};

  function load(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("reply templates: " + response.status);
          return response.json();
        })
        .then(function (found) {
          var byId = {};
          found.forEach(function (t) { byId[String(t.id)] = t; });
          return byId;
        });
      cache[url].catch(function () { delete cache[url]; });
    }
    return cache[url];
  }

  function attach(picker) {
    if (picker.dataset.ready) return;
    picker.dataset.ready = "1";
    var url = picker.dataset.replyTemplates;
    var box = document.getElementById(picker.dataset.target);
    var choice = picker.querySelector("select[name$='-tpl-template']");
    var language = picker.querySelector("select[name$='-tpl-language']");
    var insert = picker.querySelector("button[name='use_template']");
    if (!url || !box || !choice || !insert) return;
    var lastInserted = null;

    function fill(byId) {
      var template = byId[choice.value];
      if (!template) return false;
      var chinese = language && language.value.indexOf("zh") === 0;
      var text = chinese ? template.text_zh : template.text_en;
      var current = box.value.replace(/\s+$/, "");
      box.value = !current || box.value === lastInserted ? text : current + "\n\n" + text;
      lastInserted = box.value;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
      return true;
    }

    function use(fallback) {
      if (!choice.value) return;
      load(url).then(function (byId) {
        if (!fill(byId) && fallback) fallback();
      }, function () {
        if (fallback) fallback();
      });
    }

    function askTheServer() {
      if (insert.form.requestSubmit) insert.form.requestSubmit(insert);
      else insert.click();
    }

    choice.addEventListener("change", function () { use(null); });
    if (language) {
      language.addEventListener("change", function () {
        if (box.value === lastInserted || !box.value) use(null);
      });
    }
    insert.addEventListener("click", function (event) {
      if (insert.dataset.server) return; // the fallback's own click
      event.preventDefault();
      use(function () {
        insert.dataset.server = "1";
        askTheServer();
      });
    });
  }

  function scan(root) {
    (root || document).querySelectorAll(".reply-picker[data-reply-templates]").forEach(attach);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scan(event.target); });
})();
