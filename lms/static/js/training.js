// Import progress: keep posting the next step while the file is being checked (a button does it without JS).
(function () {
  "use strict";
  var form = document.querySelector("form.js-autostep");
  if (form) {
    window.setTimeout(function () { form.submit(); }, 300);
  }
})();
