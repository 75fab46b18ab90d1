/* Patchmap: what every page script shares. Requests to the API (JSON, the session cookie, the CSRF token on
 * a change, the API's {"error", "detail"} as the message), the view's bbox, a debounce, a signal per kind of
 * request, the "zoom in" marker that stands for many places, and a few page helpers.
 *
 * Loaded first on every page (after Leaflet and its plugins) as window.Patchmap.core; it needs nothing else.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function reduced() { return window.matchMedia("(prefers-reduced-motion: reduce)").matches; }

  /* url with the params that have a value set. A same-origin URL comes back as path and query (what a link's
   * href on the page then says); another origin's comes back whole. */
  function withParams(url, params) {
    var u = new URL(url, window.location.href);
    Object.keys(params).forEach(function (k) {
      if (params[k] !== undefined && params[k] !== null && params[k] !== "") u.searchParams.set(k, params[k]);
    });
    return u.origin === window.location.origin ? u.pathname + u.search : u.toString();
  }

  /* The API's {"error", "detail"} in words; detail is text, or a list of {where, problem}. */
  function problemText(body) {
    if (!body) return "";
    var detail = body.detail;
    if (Array.isArray(detail)) {
      detail = detail.map(function (p) { return p && p.where ? p.where + ": " + p.problem : p && p.problem; })
        .filter(Boolean).join("; ");
    }
    return [body.error, typeof detail === "string" ? detail : ""].filter(Boolean).join(". ");
  }

  /* fetch asking for JSON, with the session cookie: resolves with {response, body} whatever the status
   * (body is {} when the answer is not JSON); rejects only when nothing came back. */
  function fetchJSON(url, init) {
    var options = Object.assign({ credentials: "same-origin" }, init);
    options.headers = Object.assign({ Accept: "application/json" }, init && init.headers);
    return fetch(url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { response: r, body: body }; });
    });
  }

  /* The body of a 2xx answer; any other rejects with the API's words as the message and e.status. */
  function request(url, init) {
    return fetchJSON(url, init).then(function (answer) {
      var r = answer.response;
      if (r.ok) return answer.body;
      var e = new Error(problemText(answer.body) || "The server answered " + r.status + ".");
      e.status = r.status;
      throw e;
    });
  }

  /* GET JSON; `signal` (optional) aborts it. */
  function getJSON(url, signal) { return request(url, { signal: signal }); }

  /* A request with a JSON body (none when body is undefined) and the session's X-CSRF-Token. */
  function sendJSON(method, url, body, csrfToken) {
    var headers = { "X-CSRF-Token": csrfToken || "" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return request(url, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }

  /* "west,south,east,north" of Leaflet bounds, kept to the world, to five places. */
  function bboxOf(bounds) {
    return [clamp(bounds.getWest(), -180, 180), clamp(bounds.getSouth(), -90, 90), clamp(bounds.getEast(), -180, 180),
      clamp(bounds.getNorth(), -90, 90)].map(function (v) { return v.toFixed(5); }).join(",");
  }

  /* The bbox parameter for what the map shows, a little beyond its edges. */
  function bboxParam(map) { return bboxOf(map.getBounds().pad(0.05)); }

  /* fn, run once `ms` after the last of a burst of calls; .cancel() drops a pending run. */
  function debounce(fn, ms) {
    var timer = null;
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(fn, ms);
    }
    later.cancel = function () { window.clearTimeout(timer); };
    return later;
  }

  /* Hands out abort signals for one kind of request: each call aborts the request before it. */
  function latestOnly() {
    var controller = null;
    return function () {
      if (controller) controller.abort();
      controller = new AbortController();
      return controller.signal;
    };
  }

  /* A marker for many places at latlng (options as L.marker's): selecting it zooms the map in by two there. */
  function zoomInMarker(map, latlng, options) {
    var marker = L.marker(latlng, Object.assign({ keyboard: true }, options));
    marker.on("click", function () { map.setView(latlng, Math.min(map.getZoom() + 2, 18)); });
    return marker;
  }

  /* Shows #pm-tiles-note when the base map's tiles fail to load. */
  function noteTileErrors(map) {
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) layer.once("tileerror", function () { $("pm-tiles-note").hidden = false; });
    });
  }

  /* Says parts (text or nodes) in a live region, its class `base` plus `modifier` (if any). */
  function say(node, base, parts, modifier) {
    node.className = base + (modifier ? " " + modifier : "");
    node.replaceChildren();
    parts.forEach(function (part) { node.appendChild(typeof part === "string" ? document.createTextNode(part) : part); });
  }

  /* Moves an item that has just been dealt with (confirmed, decided) out of its list into a "Done just now"
     list after it (made on first use), keeping the focus where it was, and sets every count of the list
     (data-count-of) to the number of items left: a count always equals the length of its list. */
  function settle(li) {
    var list = li.parentNode;
    if (!list || !list.id) return;
    var doneId = list.id + "-done";
    var done = document.getElementById(doneId);
    if (!done) {
      var heading = document.createElement("h3");
      heading.className = "pm-done-title";
      heading.id = doneId + "-title";
      heading.textContent = "Done just now";
      done = document.createElement(list.tagName);
      done.id = doneId;
      done.className = "pm-done-list " + list.className.replace(/\bpm-actionable\b/, "").trim();
      done.setAttribute("aria-labelledby", heading.id);
      list.after(heading, done);
    }
    var focused = document.activeElement;
    done.prepend(li);
    if (focused && li.contains(focused)) focused.focus();
    document.querySelectorAll('[data-count-of="' + list.id + '"]').forEach(function (count) {
      count.textContent = String(list.children.length);
    });
  }

  window.Patchmap = window.Patchmap || {};
  window.Patchmap.core = {
    $: $, reduced: reduced, withParams: withParams, problemText: problemText, fetchJSON: fetchJSON, getJSON: getJSON,
    sendJSON: sendJSON, bboxOf: bboxOf, bboxParam: bboxParam, debounce: debounce, latestOnly: latestOnly,
    zoomInMarker: zoomInMarker, noteTileErrors: noteTileErrors, say: say, settle: settle,
  };
})();
