/* Open Tally charts: turn each static chart into an interactive one, when JavaScript runs.
 *
 * Every page loads this file; it does nothing unless the page has a <figure class="ot-chart"> with
 * a spec in <script type="application/json" class="ot-chart__spec">. Then it loads vega-embed.js
 * from this file's own folder (the site's only request for charts), draws the spec into a new
 * element, and only when that succeeds hides the static image. If anything fails, the static image
 * stays and a warning goes to the console.
 *
 * The site's chart theme (the Vega-Lite "config", the same for every chart) is written once per
 * page, in <script type="application/json" id="ot-chart-config"> before the first chart: a spec
 * without a "config" of its own gets that one back before it is drawn, so it draws as the
 * standalone spec of the chart's downloads does. A spec whose config differs keeps its own.
 *
 * No eval: vega-embed is given {ast: true}, so Vega parses expressions to a syntax tree and
 * interprets them with the vega-interpreter that vega-embed 7 bundles (it resolves the interpreter
 * as vega.expressionInterpreter ?? options.expr ?? its own, and Vega 6 exports none). A
 * Content-Security-Policy without 'unsafe-eval' is enough. vega-embed and vega-tooltip add their
 * own <style> elements; a policy that forbids inline styles needs their rules in site.css and
 * {defaultStyle: false} below.
 */
(function () {
  "use strict";

  var current = document.currentScript ||
    document.querySelector('script[src$="/charts.js"], script[src="charts.js"]');
  var BUNDLE = current && current.src ? new URL("vega-embed.js", current.src).href : null;
  var OPTIONS = { renderer: "svg", actions: false, ast: true };
  var loading = null;

  function loadBundle() {
    if (window.vegaEmbed) return Promise.resolve(window.vegaEmbed);
    if (!BUNDLE) return Promise.reject(new Error("cannot tell where charts.js was loaded from"));
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = BUNDLE;
        script.async = true;
        script.addEventListener("load", function () {
          if (window.vegaEmbed) resolve(window.vegaEmbed);
          else reject(new Error(BUNDLE + " did not define vegaEmbed"));
        });
        script.addEventListener("error", function () {
          loading = null; // a later page may try again
          reject(new Error("could not load " + BUNDLE));
        });
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // The static image is swapped out only once it has loaded (or failed): hiding a lazy image that is
  // still on its way cancels its request, which a reader's browser reports as a failed load.
  function settled(image) {
    if (!image || image.complete) return Promise.resolve();
    return new Promise(function (resolve) {
      image.addEventListener("load", resolve, { once: true });
      image.addEventListener("error", resolve, { once: true });
    });
  }

  function enhance(figure, embed) {
    var staticPart = figure.querySelector(".ot-chart__static");
    var specNode = figure.querySelector("script.ot-chart__spec");
    if (!staticPart || !specNode) return;
    var spec = JSON.parse(specNode.textContent);
    // Without a config of its own, the page's shared one (parsed afresh: Vega may keep what it gets).
    if (!("config" in spec)) {
      var shared = document.getElementById("ot-chart-config");
      if (!shared) throw new Error("the page has no #ot-chart-config");
      spec.config = JSON.parse(shared.textContent);
    }
    var image = staticPart.querySelector("img");
    var target = document.createElement("div");
    target.className = "ot-chart__interactive";
    // Drawn in place but folded away, so that a "container" width is the figure's width.
    target.style.width = "100%";
    target.style.height = "0";
    target.style.overflow = "hidden";
    staticPart.parentNode.insertBefore(target, staticPart.nextSibling);
    figure.setAttribute("data-ot-chart", "drawing");
    return embed(target, spec, OPTIONS).then(function () {
      return settled(image);
    }).then(function () {
      target.style.height = "";
      target.style.overflow = "";
      // The static image stays in the page, hidden: its alt text (every value read out) names the
      // interactive chart, as the figure's caption describes both.
      target.setAttribute("role", "img");
      target.setAttribute("aria-label", (image && image.alt) || spec.description || "");
      staticPart.hidden = true;
      figure.setAttribute("data-ot-chart", "interactive");
    }, function (error) {
      target.parentNode.removeChild(target);
      throw error;
    });
  }

  function run() {
    var figures = Array.prototype.filter.call(
      document.querySelectorAll("figure.ot-chart"),
      function (figure) { return !figure.hasAttribute("data-ot-chart") && figure.querySelector("script.ot-chart__spec"); });
    if (!figures.length) return;
    figures.forEach(function (figure) { figure.setAttribute("data-ot-chart", "waiting"); });
    if (!("IntersectionObserver" in window)) {
      figures.forEach(draw);
      return;
    }
    // The Vega bundle is 900 kB of script: load and run it only when a chart nears the screen (the
    // static chart is there until then), so that it never holds up the first screen of text, and a
    // reader who does not scroll to a chart does not pay for it.
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        draw(entry.target);
      });
    }, { rootMargin: "200px 0px" });
    figures.forEach(function (figure) { observer.observe(figure); });
  }

  function draw(figure) {
    loadBundle().then(function (embed) {
      return Promise.resolve().then(function () { return enhance(figure, embed); }).catch(function (error) {
        figure.setAttribute("data-ot-chart", "static");
        console.warn("Open Tally: the interactive chart could not be drawn; the static one stays.", error);
      });
    }, function (error) {
      figure.setAttribute("data-ot-chart", "static");
      console.warn("Open Tally: interactive charts are not available; the static ones stay.", error);
    });
  }

  // Material for MkDocs with instant navigation swaps pages without reloading: document$ emits for
  // each page, the first included.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(run);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
