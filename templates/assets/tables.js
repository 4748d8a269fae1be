/* Open Tally tables: sorting and filtering, when JavaScript runs.
 *
 * Every table the site renders from data (<table data-ot-table>) is complete without this file. With
 * it, each column header holds a button that sorts the rows by that column (ascending, then
 * descending; the header says which with aria-sort), and a table of more than a few rows gets a
 * labelled filter box that hides the rows that do not contain its text, with a live count of the
 * rows shown. Nothing is fetched; nothing runs from strings.
 *
 * A link to a closed disclosure (a <details> with an id: "Data dictionary: the same 13 fields as
 * ..." leads to the dictionary several tables share) opens it. Without JavaScript it leads to the
 * disclosure's summary, one click from open.
 */
(function () {
  "use strict";

  var FILTER_FROM_ROWS = 6; // a shorter table is read at a glance: no filter box
  var collator = new Intl.Collator(document.documentElement.lang || "en", { numeric: true, sensitivity: "base" });
  var counter = 0;

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  // A cell as a number when the whole cell is one ("207,000", "-1.5", "28%"), else null.
  function asNumber(text) {
    var plain = text.replace(/[,\s%]/g, "");
    return /^[-+]?\d+(\.\d+)?$/.test(plain) ? parseFloat(plain) : null;
  }

  function compare(a, b) {
    if (a === b) return 0;
    if (a === "") return 1; // empty cells last, whichever the direction
    if (b === "") return -1;
    var x = asNumber(a), y = asNumber(b);
    if (x !== null && y !== null) return x - y;
    return collator.compare(a, b);
  }

  function sortBy(table, header, index) {
    var body = table.tBodies[0];
    var descending = header.getAttribute("aria-sort") === "ascending";
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, text: cellText(row, index), position: position };
    });
    rows.sort(function (a, b) {
      if (a.text === "" || b.text === "") return compare(a.text, b.text) || a.position - b.position;
      return (descending ? -1 : 1) * compare(a.text, b.text) || a.position - b.position;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function addSorting(table) {
    if (!table.tHead || !table.tBodies.length || table.tBodies[0].rows.length < 2) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ot-sort";
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, header, index); });
    });
  }

  function addFilter(table, box) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < FILTER_FROM_ROWS) return;
    var id = "ot-filter-" + (++counter);
    var total = body.rows.length;
    var caption = table.caption ? table.caption.textContent.trim() : "the table";
    var tools = document.createElement("div");
    tools.className = "ot-table-filter";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = "Filter rows of " + caption;
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    var count = document.createElement("output");
    count.setAttribute("role", "status");
    count.setAttribute("aria-live", "polite");
    count.htmlFor = id;
    count.textContent = total + " of " + total + " rows";
    tools.appendChild(label);
    tools.appendChild(input);
    tools.appendChild(count);
    box.parentNode.insertBefore(tools, box);
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(body.rows, function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = shown + " of " + total + " rows";
    });
  }

  function enhance(table) {
    if (table.dataset.otTableReady) return;
    table.dataset.otTableReady = "true";
    addSorting(table);
    var box = table.closest(".ot-table-scroll") || table;
    addFilter(table, box);
  }

  function disclosure(hash) {
    var id;
    try { id = decodeURIComponent(hash.slice(1)); } catch (error) { return null; }
    var target = id ? document.getElementById(id) : null;
    return target && target.tagName === "DETAILS" ? target : null;
  }

  function openTarget(hash) {
    var target = disclosure(hash);
    if (target) target.open = true;
  }

  // A table inside a closed disclosure gets its controls when the disclosure first opens.
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-ot-table]"), function (table) {
      var closed = table.closest("details:not([open])");
      if (!closed) return enhance(table);
      closed.addEventListener("toggle", function () { if (closed.open) enhance(table); });
    });
    openTarget(location.hash);
    window.addEventListener("hashchange", function () { openTarget(location.hash); });
    // A click on a link to the disclosure the address already names changes no hash: open it here too.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest('a[href^="#"]');
      if (link) openTarget(link.getAttribute("href"));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
