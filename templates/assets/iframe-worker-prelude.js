/* iframe-worker 1.0.4 (https://www.npmjs.com/package/iframe-worker), MIT licence, Copyright (c) Martin Donath:
   the worker globals it sets up inside its iframe, moved from an inline script into this file so
   that the site's Content-Security-Policy needs no 'unsafe-inline' (see iframe-worker-shim.js). */
(function () {
  var worker = new URL(document.currentScript.src).searchParams.get("worker") || "";
  window.postMessage = function (s, n) { parent.postMessage(s, n || "*"); };
  window.importScripts = function () {
    return Array.prototype.reduce.call(arguments, function (n, e) {
      return n.then(function () {
        return new Promise(function (r) {
          var t = document.createElement("script");
          t.src = e; t.onload = r; document.body.appendChild(t);
        });
      });
    }, Promise.resolve());
  };
  addEventListener("error", function (event) {
    parent.dispatchEvent(new ErrorEvent("error", { filename: worker, error: event.error }));
  });
})();
