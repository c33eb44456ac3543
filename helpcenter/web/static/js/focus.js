// Where the keyboard focus goes, and what a screen reader hears, when a page changes in place.
//
// htmx replaces the part of the page that holds the button just pressed, so the focus would fall
// to <body> and a screen reader would say nothing of the result. After a swap that the visitor
// asked for (a click, a submit, a change; never a poll), the focus moves to, in this order:
// - the error summary in the new content (`data-error-summary`),
// - the element the template marked `data-focus` (the result, or the next control to use),
// - the new content itself, only when the focus was lost.
// The new content's `data-announce` text, translated on the server (or, when it is empty, the
// text of the element that carries it), is read out through the page's one polite live region
// (#hc-announcer in web/base.html).
//
// A page loaded after a form (a plain POST that failed its checks, or a redirect after an
// action) gives the focus to its error summary or to the message of what was done; the
// summary's links take the focus to the field they name.
(function () {
  "use strict";

  // A live region only speaks when its text changes: empty it, then fill it a moment later,
  // so the same message said twice (a second vote) is heard twice.
  var ANNOUNCE_DELAY_MS = 100;
  var announceTimer = null;

  function announce(text) {
    var region = document.getElementById("hc-announcer");
    if (!region || !text) return;
    window.clearTimeout(announceTimer);
    region.textContent = "";
    announceTimer = window.setTimeout(function () {
      region.textContent = text;
    }, ANNOUNCE_DELAY_MS);
  }

  function isFocusable(element) {
    return element.tabIndex >= 0 || element.hasAttribute("tabindex");
  }

  function focusOn(element) {
    if (!isFocusable(element)) element.setAttribute("tabindex", "-1");
    element.focus();
  }

  // The element itself when it matches, else its first descendant that does.
  function find(roots, selector) {
    for (var i = 0; i < roots.length; i++) {
      if (roots[i].matches(selector)) return roots[i];
      var inside = roots[i].querySelector(selector);
      if (inside) return inside;
    }
    return null;
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  function settled(roots) {
    roots = roots.filter(function (root) { return root.isConnected; });
    if (!roots.length) return;
    var target = find(roots, "[data-error-summary]") || find(roots, "[data-focus]");
    if (target) focusOn(target);
    else if (focusLost()) focusOn(roots[0]);
    var message = find(roots, "[data-announce]");
    if (message) announce(message.getAttribute("data-announce") || message.textContent.trim());
  }

  // htmx fires htmx:afterSettle once on each new top-level element of a swap, all in one go and
  // with the same detail: gather them, then act once.
  var pending = null;
  document.addEventListener("htmx:afterSettle", function (event) {
    var element = event.target;
    // A poll has no triggering event: it must never take the focus or speak.
    if (!event.detail || !event.detail.requestConfig || !event.detail.requestConfig.triggeringEvent) return;
    if (!element || element.nodeType !== Node.ELEMENT_NODE) return;
    if (pending === null) {
      pending = [];
      Promise.resolve().then(function () {
        var roots = pending;
        pending = null;
        settled(roots);
      });
    }
    if (pending.indexOf(element) < 0) pending.push(element);
  });

  // A link of the error summary leads to its field; for a group of radio buttons, to the first.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) return;
    var control = field.matches("input, select, textarea, button")
      ? field
      : field.querySelector("input:not([type=hidden]), select, textarea");
    if (!control) return;
    event.preventDefault();
    control.focus({ preventScroll: true });
    var label = document.querySelector("label[for='" + control.id + "']") || field.querySelector("legend");
    (label || control).scrollIntoView({ block: "center" });
  });

  // A page loaded after a form (a plain POST, or an action that took the ticket to another
  // tier and sent the browser to the queue) focuses its error summary, else the message of
  // what was done. Messages are shown once, so an ordinary visit never moves the focus.
  function focusOnLoad() {
    var target = document.querySelector("[data-error-summary]") || document.querySelector(".notice[data-focus]");
    if (target) focusOn(target);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusOnLoad);
  else focusOnLoad();
})();
