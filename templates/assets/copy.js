/* Copy buttons (Open Tally): <button class="ot-copy" data-copy hidden> copies the text of the
   [data-copy-text] element of its own box (the button's closest [data-copy-box]) and says "Copied" in
   that box's [data-copy-status] live region. Never an element found by id: a contributor's row anchor
   may carry any id. The buttons are hidden until this script shows them: without JavaScript the text
   stays on the page, selectable. */
(function () {
  "use strict";

  function say(status, message) {
    if (!status) return;
    status.textContent = "";
    // A change of text in a live region is announced; emptying it first announces a second "Copied" too.
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function fallback(element) {
    select(element);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(button) {
    var box = button.closest("[data-copy-box]");
    var element = box && box.querySelector("[data-copy-text]");
    var status = box && box.querySelector("[data-copy-status]");
    if (!element) return;
    var text = element.textContent;
    var done = function () { say(status, "Copied"); };
    var failed = function () {
      if (fallback(element)) {
        done();
      } else {
        say(status, "Could not copy: the text is selected, press Ctrl+C (or Cmd+C) to copy it");
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  }

  function start() {
    var buttons = document.querySelectorAll("button.ot-copy[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      if (button.getAttribute("data-copy-ready")) continue;
      button.setAttribute("data-copy-ready", "true");
      button.hidden = false;
      button.addEventListener("click", function (event) { copy(event.currentTarget); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
