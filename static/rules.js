/* Rules library: move routing rules up and down without typing order numbers. The page works without it
   (the order column is the non-script way). */
(function () {
  "use strict";
  var table = document.querySelector("[data-routing-rules]");
  if (!table) { return; }
  var body = table.tBodies[0];

  function renumber() {
    var n = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var order = row.querySelector("input[name$='-order']");
      var name = row.querySelector("input[name$='-name']");
      if (order && (!row.classList.contains("new-rule") || (name && name.value.trim()))) {
        n += 1;
        order.value = String(n * 10);
      }
    });
  }

  Array.prototype.forEach.call(body.rows, function (row) {
    if (row.classList.contains("new-rule")) { return; }
    var cell = row.cells[0];
    [["up", "↑", "上移"], ["down", "↓", "下移"]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button move-rule";
      button.textContent = spec[1];
      button.setAttribute("aria-label", (table.getAttribute("data-label-" + spec[0]) || spec[2]));
      button.addEventListener("click", function () {
        var other = spec[0] === "up" ? row.previousElementSibling : row.nextElementSibling;
        if (!other || other.classList.contains("new-rule")) { return; }
        if (spec[0] === "up") { body.insertBefore(row, other); } else { body.insertBefore(other, row); }
        renumber();
        button.focus();
      });
      cell.appendChild(button);
    });
  });
}());
