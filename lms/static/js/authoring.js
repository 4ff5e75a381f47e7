/* Course editor improvements; every page works without this file.
   - warns before leaving a form with unsaved changes (beforeunload)
   - asks for confirmation before removing modules/lessons
   - live lesson preview rendered by the server (same renderer as learners see) */
(function () {
  "use strict";

  var dirty = false;
  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return undefined; }
    event.preventDefault();
    event.returnValue = "";
    return "";
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  var editor = document.querySelector("form[data-preview-url]");
  var target = document.getElementById("live-preview");
  if (!editor || !target) { return; }
  var textarea = editor.querySelector("textarea[name=body_markdown]");
  var token = editor.querySelector("input[name=csrf_token]");
  if (!textarea) { return; }
  var timer = null;
  var seq = 0;

  function refresh() {
    var mine = ++seq;
    var data = new FormData();
    data.append("body_markdown", textarea.value);
    if (token) { data.append("csrf_token", token.value); }
    fetch(editor.getAttribute("data-preview-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (json) {
      // The HTML is sanitised on the server by lms/core/html.py.
      if (mine === seq) { target.innerHTML = json.html; }
    }).catch(function () { /* keep the last preview; the Preview button still works */ });
  }

  textarea.addEventListener("input", function () {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(refresh, 400);
  });
  // On a slow link the trainer may type before this script arrives (or the browser restores
  // the text on "back"): preview what is there now instead of waiting for the next keystroke.
  if (textarea.value !== textarea.defaultValue) { refresh(); }
})();
