// waffleadmin: enhancements only; every action works without this file.
(function () {
  "use strict";
  // "Select all" in the flag list.
  document.querySelectorAll("input.check-all").forEach(function (all) {
    all.addEventListener("change", function () {
      var table = all.closest("table");
      table.querySelectorAll("tbody input[type=checkbox][name=name]").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
  // Keep the user's place: focus the first field with an error.
  var bad = document.querySelector(".field.invalid input, .field.invalid textarea, .field.invalid select");
  if (bad) { bad.focus(); }
})();
