// A small Markdown toolbar above a lesson's textarea (bold, list, link, image, note). Progressive:
// without JavaScript the plain textarea is all there is. Buttons are large enough for a thumb and
// keep the text selection; every change fires "input", so the live preview and the unsaved-changes
// warning see it.
(function () {
  "use strict";
  document.querySelectorAll("[data-md-toolbar]").forEach(function (bar) {
    var area = document.getElementById(bar.getAttribute("data-md-toolbar"));
    if (!area) return;
    function edit(make) {
      var start = area.selectionStart, end = area.selectionEnd;
      var selected = area.value.slice(start, end);
      var out = make(selected);
      area.setRangeText(out.text, start, end, "end");
      if (out.select) {
        var at = start + out.text.indexOf(out.select);
        area.setSelectionRange(at, at + out.select.length);
      }
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    var placeholder = bar.dataset;
    var actions = {
      bold: function (s) { var t = s || placeholder.sample; return { text: "**" + t + "**", select: t }; },
      list: function (s) {
        var lines = (s || placeholder.sample).split("\n").map(function (l) { return "- " + l.replace(/^- /, ""); });
        return { text: (area.selectionStart > 0 ? "\n" : "") + lines.join("\n") + "\n" };
      },
      link: function (s) { var t = s || placeholder.sample; return { text: "[" + t + "](https://)", select: "https://" }; },
      image: function (s) { var t = s || placeholder.alt; return { text: "![" + t + "](media/)", select: "media/" }; },
      note: function (s) { var t = s || placeholder.sample; return { text: "\n::: note\n" + t + "\n:::\n", select: t }; }
    };
    bar.querySelectorAll("template[data-action]").forEach(function (tpl) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn md-button";
      button.textContent = tpl.getAttribute("data-label");
      var action = tpl.getAttribute("data-action");
      // Keep the textarea's selection: pressing the button must not move focus first.
      button.addEventListener("mousedown", function (e) { e.preventDefault(); });
      button.addEventListener("click", function () { edit(actions[action]); });
      bar.appendChild(button);
    });
    bar.hidden = false;
  });
})();
