// New course: the short name follows the title (without accents) until the trainer edits it.
// Without JavaScript an empty short name is made from the title on the server.
(function () {
  "use strict";
  var title = document.getElementById("title");
  var slug = document.getElementById("slug");
  if (!title || !slug) return;
  var touched = slug.value !== "";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D")
      .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60).replace(/-+$/, "");
  }
  slug.addEventListener("input", function () { touched = slug.value !== ""; });
  title.addEventListener("input", function () { if (!touched) slug.value = fold(title.value); });
})();
