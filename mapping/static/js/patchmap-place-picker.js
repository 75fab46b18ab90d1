/* Patchmap: the place picker of the record forms (mapping/templates/record_form.html).
 *
 * Progressive enhancement only: without this file the form works (a hub, a postcode, a search, or a longitude
 * and latitude typed in). With it, a small Leaflet map appears above the longitude and latitude boxes; a click
 * (or Enter on the focused map: its centre) fills them in, chooses "At a point on the map" and says so in a
 * status line; typing in the boxes moves the marker. Enter in the search box presses Search, not Save.
 */
(function () {
  "use strict";

  function number(input) {
    var value = input ? parseFloat(input.value) : NaN;
    return isFinite(value) ? value : null;
  }

  function start() {
    var box = document.getElementById("pm-place-map");
    var lon = document.getElementById("f-lon");
    var lat = document.getElementById("f-lat");
    var find = document.getElementById("f-find");
    var search = document.getElementById("pm-find");
    if (find && search) {
      find.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          search.click();
        }
      });
    }
    if (!box || !lon || !lat || typeof window.L === "undefined") {
      return;
    }
    box.hidden = false;
    var status = document.createElement("p");
    status.className = "pm-hint";
    status.id = "pm-place-map-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    box.parentNode.insertBefore(status, box.nextSibling);
    var here = [number(lat), number(lon)];
    var placed = here[0] !== null && here[1] !== null;
    var centre = placed ? here : [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
    var map = window.L.map(box, { scrollWheelZoom: false, keyboard: true }).setView(
      centre, placed ? 16 : parseInt(box.dataset.zoom || "12", 10));
    if (box.dataset.tileUrl) {
      window.L.tileLayer(box.dataset.tileUrl, {
        attribution: box.dataset.tileAttribution || "", maxZoom: 19
      }).addTo(map);
    }
    var marker = null;
    function show(latlng) {
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = window.L.circleMarker(latlng, { radius: 9, color: "#0b0c0c", weight: 3, fillColor: "#ffdd00", fillOpacity: 1 }).addTo(map);
      }
    }
    function choose(latlng) {
      lon.value = latlng.lng.toFixed(5);
      lat.value = latlng.lat.toFixed(5);
      var radio = document.getElementById("f-place-map");
      if (radio) {
        radio.checked = true;
      }
      show(latlng);
      status.textContent = "Placed at longitude " + lon.value + ", latitude " + lat.value + ".";
      box.dataset.placed = "true";
    }
    if (placed) {
      show(here);
    }
    map.on("click", function (event) {
      choose(event.latlng);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target === box) {
        event.preventDefault();
        choose(map.getCenter());
      }
    });
    function typed() {
      var y = number(lat);
      var x = number(lon);
      if (x !== null && y !== null && x >= -9 && x <= 2.5 && y >= 49 && y <= 61) {
        show([y, x]);
        map.panTo([y, x]);
      }
    }
    lon.addEventListener("change", typed);
    lat.addEventListener("change", typed);
    box.dataset.ready = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
