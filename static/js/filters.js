/* The filters of a list fold away on a phone, so that the results come first; on a wide screen,
   where they sit beside the results, they start unfolded. Without JavaScript they start folded
   everywhere and open with a click. */
(function () {
  "use strict";
  if (!window.matchMedia) { return; }
  var wide = window.matchMedia("(min-width: 60em)");
  if (!wide.matches) { return; }
  document.querySelectorAll("details[data-open-wide]").forEach(function (panel) {
    panel.open = true;
  });
}());
