// The main menu is a <details>: closed on phones, always shown on wide screens. CSS shows it on
// wide screens in browsers with ::details-content; this opens it there for the others.
(function () {
  "use strict";
  var menu = document.getElementById("main-menu");
  if (!menu || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 48rem)");
  function sync() { if (wide.matches) menu.open = true; }
  sync();
  if (wide.addEventListener) wide.addEventListener("change", sync);
})();
