/* Shows each session's time in the visitor's own time zone, next to the event's local time:
   "13:00–15:00 CEST · your time 14:00–16:00 EAT". In the visitor's variant of the page's
   language (en-KE, fr-SN…), always on the 24-hour clock that the page uses. Without
   JavaScript the event's time zone is shown alone, which is still correct. */
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) { return; }
  var root = document.documentElement;
  var page = (root.lang || "en").toLowerCase();
  var locale = page === "en" ? "en-GB" : page;
  (navigator.languages || []).some(function (language) {
    if (language.indexOf("-") > 0 && language.toLowerCase().split("-")[0] === page.split("-")[0]) {
      locale = language;
      return true;
    }
    return false;
  });
  var label = root.getAttribute("data-your-time") || "your time";
  var clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
  var day = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone: zone });
  var named = new Intl.DateTimeFormat(locale, { hour: "2-digit", hourCycle: "h23", timeZoneName: "short", timeZone: zone });
  var isoDay = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: zone });
  function zoneName(date) {
    var parts = named.formatToParts(date);
    for (var i = 0; i < parts.length; i += 1) {
      if (parts[i].type === "timeZoneName") { return parts[i].value.replace(/^GMT(?=[+-])/, "UTC"); }
    }
    return "";
  }
  document.querySelectorAll("[data-local-start]").forEach(function (slot) {
    if (slot.getAttribute("data-event-zone") === zone) { return; }
    var start = new Date(slot.getAttribute("data-local-start"));
    var end = new Date(slot.getAttribute("data-local-end"));
    if (isNaN(start) || isNaN(end)) { return; }
    var times = clock.format(start) + "–" + clock.format(end);
    var sameDay = isoDay.format(start) === slot.getAttribute("data-event-day");
    // The same wall-clock time on the same day: nothing to add.
    if (sameDay && times === slot.getAttribute("data-event-clock")) { return; }
    slot.textContent = "· " + label + " " + (sameDay ? "" : day.format(start) + ", ");
    // Kept left to right inside right-to-left text, or Arabic would show 16:00–14:00.
    var clockTimes = document.createElement("bdi");
    clockTimes.dir = "ltr";
    clockTimes.textContent = times + " " + zoneName(start);
    slot.appendChild(clockTimes);
    slot.hidden = false;
  });
}());
