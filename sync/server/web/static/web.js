/* Small behaviours of the city web pages (no inline scripts: the CSP allows only our files). */
(function () {
  "use strict";
  // Sortable tables: click a header; numbers sort by data-v, text by Chinese collation.
  function cellValue(row, i) {
    var cell = row.cells[i];
    if (!cell) return "";
    var v = cell.getAttribute("data-v");
    if (v !== null) return v === "" ? -Infinity : parseFloat(v);
    return cell.textContent.trim();
  }
  // Each header holds a real button, so Tab reaches it and Enter or Space sorts (keyboard users,
  // screen readers: aria-sort on the header says how the table is sorted).
  function sortBy(table, heads, th, i) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var all = Array.prototype.slice.call(body.rows);
    var rows = all.filter(function (r) { return !r.classList.contains("total") && !r.classList.contains("empty"); });
    var fixed = all.filter(function (r) { return r.classList.contains("total") || r.classList.contains("empty"); });
    rows.sort(function (a, b) {
      var x = cellValue(a, i), y = cellValue(b, i), c;
      if (typeof x === "number" && typeof y === "number") c = x - y;
      else c = String(x).localeCompare(String(y), "zh-CN");
      return asc ? c : -c;
    });
    rows.concat(fixed).forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      if (!th.textContent.trim() || th.hasAttribute("data-nosort")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.title = "按此列排序（再按一次倒序）";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, heads, th, i); });
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
