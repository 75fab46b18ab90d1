/* Patchmap: the page to book a room or a space (/book/{kind}/{id}). The page works without this script (the
 * week's free times are links that reload the page with the form filled in, and the form posts to /bookings);
 * with it:
 * - choosing a free time fills the form's date and time in place, marks the time and moves to "How long";
 * - the price shown before sending follows the length and the number of weeks.
 * Nothing here reads or writes anything but this page.
 */
(function () {
  "use strict";

  function pounds(amount) {
    return "\u00a3" + amount.toLocaleString("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function lengthWords(minutes) {
    var hours = Math.floor(minutes / 60), rest = minutes % 60, parts = [];
    if (hours) parts.push(hours + " hour" + (hours === 1 ? "" : "s"));
    if (rest || !hours) parts.push(rest + " minute" + (rest === 1 ? "" : "s"));
    return parts.join(" ");
  }

  /* The price in words, as the server writes it, and for a weekly booking the whole series' cost. */
  function priceWords(perHour, minutes, weeks) {
    if (!(perHour > 0)) return "Free: there is nothing to pay.";
    var one = Math.round(perHour * minutes / 60 * 100) / 100;
    var words = pounds(perHour) + " per hour; booking " + lengthWords(minutes) + " costs " + pounds(one) + ".";
    if (weeks > 1) words += " Every week for " + weeks + " weeks: " + pounds(one * weeks) + " in all.";
    return words;
  }

  function start() {
    var form = document.querySelector(".pm-book-form");
    if (!form) return;
    var perHour = parseFloat(form.dataset.pricePerHour || "0");
    var price = document.getElementById("pm-book-price");
    var minutes = form.elements.minutes;
    var weeks = form.elements.repeat_weeks;
    var chosen = null;

    function update() {
      var n = parseInt(weeks.value, 10);
      price.textContent = priceWords(perHour, parseInt(minutes.value, 10), n >= 1 && n <= 52 ? n : 1);
    }
    minutes.addEventListener("change", update);
    weeks.addEventListener("input", update);
    update();

    var week = document.getElementById("pm-week");
    if (week) {
      week.addEventListener("click", function (e) {
        var link = e.target.closest("a.pm-free");
        if (!link) return;
        e.preventDefault();
        form.elements.date.value = link.dataset.date;
        form.elements.time.value = link.dataset.time;
        if (chosen) { chosen.classList.remove("is-chosen"); chosen.removeAttribute("aria-current"); }
        chosen = link;
        link.classList.add("is-chosen");
        link.setAttribute("aria-current", "true");
        document.body.dataset.chosen = link.dataset.date + "T" + link.dataset.time;
        minutes.focus();
      });
    }
    document.body.dataset.bookReady = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
