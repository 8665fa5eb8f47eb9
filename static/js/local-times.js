/* Shows each session's time in the visitor's own time zone, next to the event's local time.
   Without JavaScript the event's time zone is shown alone, which is still correct. */
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var lang = document.documentElement.lang || undefined;
  var label = document.documentElement.getAttribute("data-your-time") || "Your time:";
  var day = new Intl.DateTimeFormat(lang, { weekday: "short", day: "numeric", month: "short", timeZone: zone });
  var time = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", timeZone: zone, timeZoneName: "short" });
  var clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", timeZone: zone });
  document.querySelectorAll("[data-local-start]").forEach(function (slot) {
    if (!zone || slot.getAttribute("data-event-zone") === zone) { return; }
    var start = new Date(slot.getAttribute("data-local-start"));
    var end = new Date(slot.getAttribute("data-local-end"));
    if (isNaN(start) || isNaN(end)) { return; }
    slot.textContent = label + " " + day.format(start) + ", " + clock.format(start) + "–" + time.format(end) + " (" + zone + ")";
    slot.hidden = false;
  });
}());
