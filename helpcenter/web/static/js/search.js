// Search-as-you-type: htmx puts the top results into the listbox; this makes the combobox
// keyboard-usable (ArrowDown/ArrowUp choose, Enter opens, Escape closes) and shows or hides it.
(function () {
  "use strict";

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

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== list) return;
      options().forEach(function (option, i) { option.id = list.id + "-" + i; });
      select(-1);
      open();
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
