/* Copy buttons (Open Tally): <button class="ot-copy" data-copy="ID" data-copy-status="STATUS" hidden>
   copies the text of the element ID and says "Copied" in the live region STATUS. The buttons are
   hidden until this script shows them: without JavaScript the text stays on the page, selectable. */
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
    var element = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
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
