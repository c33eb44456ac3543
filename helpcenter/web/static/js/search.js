// Search-as-you-type: htmx puts the top results into the listbox; this makes the combobox
// keyboard-usable (ArrowDown/ArrowUp choose, Enter opens, Escape closes) and shows or hides it.
//
// The dropdown must only ever show the answer for the text in the box now. htmx debounces
// (hx-trigger "delay") and aborts a request still in flight when the next one starts
// (hx-sync "this:replace"), but between a keystroke and the end of the delay an older request
// can still arrive: every keystroke aborts it here, and any answer whose query is not the
// box's current text is dropped before it is swapped in.
// Pages say things that are only true with JavaScript (a status page that updates itself)
// under the "js" class on <html>; without JavaScript they say what to do instead.
document.documentElement.classList.add("js");

(function () {
  "use strict";

  // Fewer letters than this match nearly everything: no request, the list closes.
  var MIN_CHARS = 2;

  function queryOf(url) {
    try {
      return new URL(url, window.location.href).searchParams.get("q");
    } catch (error) {
      return null;
    }
  }

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) return;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll('[role="option"]'));
    }
    function select(index) {
      options().forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) input.setAttribute("aria-activedescendant", options()[index].id);
      else input.removeAttribute("aria-activedescendant");
    }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      select(-1);
    }
    function open() {
      if (options().length && input.value.trim()) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
    }
    function tooShort() {
      return input.value.trim().length < MIN_CHARS;
    }

    input.addEventListener("input", function () {
      // An answer on its way is for text that is no longer there.
      if (window.htmx) window.htmx.trigger(input, "htmx:abort");
      if (tooShort()) {
        close();
        list.innerHTML = "";
      }
    });
    input.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail.elt === input && tooShort()) event.preventDefault();
    });
    // htmx fires these two on the swapped element, the listbox (not on the input).
    list.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.target !== list) return;
      var asked = queryOf(event.detail.xhr.responseURL || event.detail.pathInfo.finalRequestPath);
      if (asked !== null && asked !== input.value) event.detail.shouldSwap = false;
    });
    list.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== list) return;
      options().forEach(function (option, i) { option.id = list.id + "-" + i; });
      select(-1);
      // The player may have left the box while the answer was on its way.
      if (document.activeElement === input) open();
      else close();
    });
    input.addEventListener("keydown", function (event) {
      var count = options().length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        open();
        select((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        open();
        select(active <= 0 ? count - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
        event.preventDefault();
        options()[active].querySelector("a").click();
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 200); });
  }

  document.querySelectorAll('input[role="combobox"]').forEach(setup);
})();
