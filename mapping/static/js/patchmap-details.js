/* Patchmap: the words and DOM of one place (group, hub or space), for the results list, popups and details.
 *
 * Every string that comes from the data reaches the page through textContent or setAttribute, never
 * through innerHTML, so names, addresses and descriptions always show as plain text. Only http(s)
 * addresses become links.
 */
(function () {
  "use strict";

  var DAY_NAMES = { mo: "Monday", tu: "Tuesday", we: "Wednesday", th: "Thursday", fr: "Friday", sa: "Saturday",
    su: "Sunday", ph: "public holidays" };
  var KIND_NAMES = { group: "Group", hub: "Community hub", space: "Space to use", room: "Room to book" };
  var COST_NAMES = { free: "Free", "low-cost": "Low cost", paid: "Paid", market: "Market rate" };
  var FREQUENCY = { weekly: "Every", fortnightly: "Every other", monthly: "Once a month on", daily: "Every day",
    occasional: "Now and then on" };
  var UNIT = { hour: "an hour", day: "a day", week: "a week", month: "a month" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function plural(n, word, many) {
    return n.toLocaleString("en-GB") + " " + (n === 1 ? word : (many || word + "s"));
  }

  /* A data URL made safe: a URL object for http(s), else null (so "javascript:" can never be a link). */
  function safeUrl(text) {
    if (typeof text !== "string" || !text) return null;
    try {
      var u = new URL(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : "https://" + text);
      return u.protocol === "http:" || u.protocol === "https:" ? u : null;
    } catch (e) {
      return null;
    }
  }

  function distanceText(metres) {
    if (typeof metres !== "number" || !isFinite(metres)) return "";
    if (metres < 1000) return Math.max(10, Math.round(metres / 10) * 10) + "\u00a0m away";
    return (metres / 1000).toFixed(metres < 10000 ? 1 : 0) + "\u00a0km away";
  }

  var sampleKeys = {};

  /* Sample data: the item says so (sample, or a source naming it), or the map's markers said so earlier. */
  function isSample(item) {
    if (item.sample === true || item.venue_sample === true) return true;
    if (sampleKeys[item.kind + "/" + item.id]) return true;
    var source = item.source || (item.provenance && item.provenance.source) || "";
    return typeof source === "string" && source.toLowerCase().indexOf("sample") !== -1;
  }

  function kindName(kind) {
    return KIND_NAMES[kind] || "Place";
  }

  /* "Library", "Vacant shop", or a group's first category, in plain English. */
  function subtypeName(item, labels) {
    var names = (labels && labels[item.kind]) || {};
    var sub = item.subtype || (item.categories && item.categories[0]);
    if (!sub || sub === "group") return "";
    var text = names[sub] || String(sub).replace(/[_-]+/g, " ");
    return text.split(" (")[0];
  }

  function costOf(item) {
    return item.cost || item.price_band || null;
  }

  /* Short badges (text, so never colour alone): Sample, Free, Step-free, Volunteers wanted, Serves your area. */
  function badges(item) {
    var list = [];
    if (isSample(item)) list.push(["Sample", "sample"]);
    if (item.serves_your_area) list.push(["Serves your area", "serves"]);
    if (bookUrl(item) || Number(item.rooms_to_book) > 0 || bookableRooms(item).length) list.push(["Bookable", "book"]);
    var cost = costOf(item);
    if (cost === "free" || cost === "low-cost") list.push([COST_NAMES[cost], "cost"]);
    if (item.step_free === true) list.push(["Step-free", "access"]);
    if (item.volunteers_wanted === true) list.push(["Volunteers wanted", "volunteers"]);
    return list;
  }

  function badgeRow(item) {
    var row = el("span", "pm-badges");
    badges(item).forEach(function (b) { row.appendChild(el("span", "pm-badge pm-badge--" + b[1], b[0])); });
    return row;
  }

  function shape(kind, shapes) {
    var s = (shapes && shapes[kind] && shapes[kind].shape) || "circle";
    var node = el("span", "pm-shape pm-shape--" + s);
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function dayList(days) {
    return (days || []).map(function (d) { return DAY_NAMES[d] || d; });
  }

  function joinWords(words) {
    if (words.length < 2) return words.join("");
    return words.slice(0, -1).join(", ") + " and " + words[words.length - 1];
  }

  /* A group's meeting times ([{days, start, end, frequency}]) in plain English. */
  function meetsText(meets) {
    if (!Array.isArray(meets)) return typeof meets === "string" ? meets : "";
    return meets.map(function (m) {
      var days = joinWords(dayList(m.days));
      var when = m.frequency === "daily" ? "Every day" : ((FREQUENCY[m.frequency] || "On") + " " + (days || "day"));
      if (m.start) when += ", " + m.start + (m.end ? " to " + m.end : "");
      return when;
    }).join("; ");
  }

  /* OpenStreetMap opening_hours ("Mo-Fr 09:00-17:00; Sa 10:00-12:00") made readable. */
  function openingText(hours) {
    if (typeof hours !== "string") return "";
    return hours.replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\b/g, function (d) { return DAY_NAMES[d.toLowerCase()]; })
      .replace(/([a-z])-([A-Z])/g, "$1 to $2")
      .replace(/(\d{1,2}:\d\d)-(\d{1,2}:\d\d)/g, "$1 to $2")
      .replace(/\s*;\s*/g, "; ")
      .replace(/\boff\b/g, "closed");
  }

  function availabilityText(a) {
    if (!a || typeof a !== "object") return typeof a === "string" ? a : "";
    var parts = [];
    var names = { weekdays: "weekdays (before 5pm)", evenings: "weekday evenings", weekends: "weekends" };
    ["weekdays", "evenings", "weekends"].forEach(function (k) { if (a[k] === true) parts.push(names[k]); });
    var text = parts.length ? "Usually free on " + joinWords(parts) : "";
    if (a.from) text += (text ? ", " : "Available ") + "from " + a.from;
    if (a.until) text += (text ? " " : "Available ") + "until " + a.until;
    if (a.notes) text += (text ? ". " : "") + a.notes;
    return text;
  }

  /* A bookable room's or space's booking page (only a path on this site: /book/room/1 or /book/space/1). */
  function bookUrl(item) {
    return typeof item.book_url === "string" && /^\/book\/(room|space)\/\d+$/.test(item.book_url) ? item.book_url : null;
  }

  /* A hub's rooms that can be booked (from GET /hubs/{id}), each with a whole-number id. */
  function bookableRooms(item) {
    return Array.isArray(item.rooms) ? item.rooms.filter(function (r) {
      return r && r.bookable === true && typeof r.id === "number" && r.id > 0 && r.id % 1 === 0;
    }) : [];
  }

  /* "Rooms to book": a link to each bookable room's booking page, with its price and size. */
  function roomsNode(item) {
    var rooms = bookableRooms(item);
    if (!rooms.length) {
      return Number(item.rooms_to_book) > 0 ? plural(Number(item.rooms_to_book), "room", "rooms") + " to book: looking them up\u2026" : null;
    }
    var ul = el("ul", "pm-rooms");
    rooms.forEach(function (r) {
      var li = el("li");
      var a = el("a", "pm-book-link", "Book " + r.name);
      a.href = "/book/room/" + r.id;
      li.appendChild(a);
      var facts = [priceText(r), r.capacity ? "room for " + plural(Number(r.capacity), "person", "people") : "",
        r.sample === true ? "sample" : ""].filter(Boolean);
      if (facts.length) li.appendChild(document.createTextNode(" (" + facts.join(", ") + ")"));
      ul.appendChild(li);
    });
    return ul;
  }

  /* "£25 an hour (market rate)", "Free": a bookable resource's price per hour (GBP). */
  function priceText(item) {
    var amount = Number(item.price_per_hour);
    if (typeof item.price_per_hour !== "number" || !isFinite(amount)) return "";
    if (amount === 0) return "Free";
    var band = { "low-cost": "community rate", market: "market rate" }[item.rate_band];
    return "\u00a3" + amount.toFixed(amount % 1 ? 2 : 0) + " an hour" + (band ? " (" + band + ")" : "");
  }

  /* One free time from an availability answer, in words: "Tuesday 12 January, 10:00 to 12:00". */
  function freeTimeText(span) {
    var start = new Date(span.start);
    var end = new Date(span.end);
    if (isNaN(start.getTime()) || isNaN(end.getTime())) return "";
    var zone = { timeZone: "Europe/London" };
    var day = start.toLocaleDateString("en-GB", Object.assign({ weekday: "long", day: "numeric", month: "long" }, zone));
    var hm = Object.assign({ hour: "2-digit", minute: "2-digit", hour12: false }, zone);
    return day + ", " + start.toLocaleTimeString("en-GB", hm) + " to " + end.toLocaleTimeString("en-GB", hm);
  }

  function costText(item) {
    var price = priceText(item);
    if (price) return price;
    var band = costOf(item);
    var text = band ? COST_NAMES[band] || band : "";
    if (typeof item.price_amount === "number" || (typeof item.price_amount === "string" && item.price_amount)) {
      var amount = Number(item.price_amount);
      if (isFinite(amount)) {
        var price = amount === 0 ? "Free" : "£" + amount.toFixed(amount % 1 ? 2 : 0) + " " + (UNIT[item.price_unit] || "");
        text = text && amount !== 0 ? price.trim() + " (" + text.toLowerCase() + ")" : price.trim();
      }
    }
    return text;
  }

  function humanise(key) {
    var text = String(key).replace(/[_:-]+/g, " ").trim();
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  var ACCESS_NAMES = { wheelchair: "Wheelchair access", "toilets:disabled": "Accessible toilet",
    "toilets:wheelchair": "Accessible toilet", "parking:disabled": "Disabled parking", hearing_loop: "Hearing loop",
    "hearing_loop:induction": "Hearing loop", "changing_table": "Baby changing" };

  /* One accessibility fact (OpenStreetMap-style key and value) in plain English. */
  function accessFact(key, value) {
    if (value === true || value === "yes" || value === "designated") return ACCESS_NAMES[key] || humanise(key);
    if (value === false || value === "no") return "No " + (ACCESS_NAMES[key] || humanise(key)).toLowerCase();
    if (typeof value !== "string" || !value) return "";
    if (/:(note|description)$/.test(key)) {
      var note = value.replace(/_/g, " ").replace(/\s*[;:]\s*/g, ", ");
      return note.charAt(0).toUpperCase() + note.slice(1);
    }
    return (ACCESS_NAMES[key] || humanise(key)) + ": " + value.replace(/_/g, " ");
  }

  function accessText(item) {
    var parts = [];
    if (item.step_free === true) parts.push("Step-free access");
    else if (item.step_free === false) parts.push("Not step-free");
    var extra = item.accessibility;
    if (extra && typeof extra === "object") {
      Object.keys(extra).forEach(function (k) {
        var fact = accessFact(k, extra[k]);
        if (fact && parts.indexOf(fact) === -1) parts.push(fact);
      });
    }
    return parts.length ? parts.join(". ") + "." : "Not known yet: ask before you go.";
  }

  function areaName(area) {
    return area.name + (area.kind && area.kind !== "locality" ? " (" + area.kind.replace("lsoa", "neighbourhood") + ")" : "");
  }

  function whereText(item) {
    var address = item.address || item.venue_address || "";
    var parts = [address];
    if (item.postcode && address.indexOf(item.postcode) === -1) parts.push(item.postcode);
    var text = parts.filter(Boolean).join(", ");
    if (item.hub && item.hub.name) text = "At " + item.hub.name + (text ? ", " + text : "");
    if (item.ward && item.ward.name) text += (text ? " (" : "") + item.ward.name + " ward" + (text ? ")" : "");
    var served = Array.isArray(item.areas_served) && item.areas_served.length ? item.areas_served :
      item.served_area ? [item.served_area] : [];
    if (!text && served.length) text = "Works across " + joinWords(served.map(areaName));
    if (!text && item.serves_your_area) text = "Works across your area";
    return text;
  }

  function whoText(item) {
    var parts = [];
    if (item.age_min != null && item.age_max != null) parts.push("Ages " + item.age_min + " to " + item.age_max);
    else if (item.age_min != null) parts.push("Ages " + item.age_min + " and over");
    else if (item.age_max != null) parts.push("Ages up to " + item.age_max);
    if (Array.isArray(item.languages) && item.languages.length) parts.push("Languages: " + item.languages.join(", "));
    return parts.join(". ");
  }

  function names(refs) {
    return Array.isArray(refs) && refs.length ? refs.map(function (r) { return r.name; }).join(", ") : "";
  }

  function dateText(value) {
    if (!value) return "";
    var d = new Date(value);
    if (isNaN(d.getTime())) return "";
    return d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
  }

  function whatText(item, labels) {
    var sub = subtypeName(item, labels);
    var text = kindName(item.kind) + (sub ? ": " + sub : "");
    if (item.kind === "group" && Array.isArray(item.categories) && item.categories.length > 1) {
      text = "Group: " + item.categories.map(function (c) { return subtypeName({ kind: "group", subtype: c }, labels); })
        .join(", ");
    }
    return text;
  }

  /* One term and value of a <dl>; the value is text or a node. */
  function fact(dl, term, value) {
    dl.appendChild(el("dt", null, term));
    var dd = el("dd");
    if (typeof value === "string") dd.textContent = value; else dd.appendChild(value);
    dl.appendChild(dd);
  }

  /* A fact only when there is something to say. */
  function row(dl, term, value) { if (value) fact(dl, term, value); }

  function contactNode(item) {
    var box = el("span", "pm-contact");
    var url = safeUrl(item.website || item.url_public || "");
    if (url) {
      var a = el("a", null, url.hostname.replace(/^www\./, ""));
      a.href = url.href;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      a.appendChild(el("span", "pm-visually-hidden", " (opens in a new tab)"));
      var line = el("span", "pm-contact-line", "Website: ");
      line.appendChild(a);
      box.appendChild(line);
    }
    if (item.email) box.appendChild(el("span", "pm-contact-line", "Email: " + item.email));
    if (item.phone) box.appendChild(el("span", "pm-contact-line", "Phone: " + item.phone));
    return box.childNodes.length ? box : null;
  }

  /* The full details of a place: what, when, where, cost, accessibility, contact and when last confirmed. */
  function details(item, labels) {
    var box = el("div", "pm-details");
    if (item.venue_sample === true) {
      box.appendChild(el("p", "pm-sample-note", "Sample venue: this group is real, but where it meets is made up for the demo."));
    } else if (isSample(item)) {
      box.appendChild(el("p", "pm-sample-note", "Sample data: this is a made-up example, not a real place."));
    }
    if (item.description) box.appendChild(el("p", "pm-description", item.description));
    var dl = el("dl", "pm-facts");
    row(dl, "What", whatText(item, labels));
    var when = item.kind === "group" ? meetsText(item.meets) : item.kind === "space" ?
      availabilityText(item.availability) : openingText(item.opening_hours);
    if (!when && item.opening_hours) when = openingText(item.opening_hours);
    row(dl, "When", when || "Not known yet: ask before you go.");
    row(dl, "Where", whereText(item));
    if (typeof item.distance_m === "number") row(dl, "Distance", distanceText(item.distance_m));
    row(dl, "Cost", costText(item) || "Not known yet");
    var book = bookUrl(item);
    if (book) {
      var link = el("a", "pm-button pm-button--primary pm-book-link", "Book");
      link.href = book;
      link.appendChild(el("span", "pm-visually-hidden", " " + item.name));
      var bookBox = el("span", "pm-book");
      bookBox.appendChild(link);
      if (item.approval === "request") bookBox.appendChild(el("span", "pm-hint", " The manager confirms each booking."));
      fact(dl, "Book", bookBox);
      var next = el("span", "pm-next-free", "Looking for the next free times\u2026");
      next.dataset.book = book;
      fact(dl, "Next free times", next);
    }
    if (item.kind === "hub") row(dl, "Rooms to book", roomsNode(item));
    row(dl, "Who for", whoText(item));
    if (item.capacity) row(dl, "Room for", plural(Number(item.capacity), "person", "people"));
    if (Array.isArray(item.facilities) && item.facilities.length) {
      row(dl, "Facilities", item.facilities.map(function (f) { return humanise(f); }).join(", "));
    }
    row(dl, "Access", accessText(item));
    if (item.kind === "group" && item.volunteers_wanted === true) {
      var skills = Array.isArray(item.skills_sought) && item.skills_sought.length ?
        " Skills they'd welcome: " + item.skills_sought.join(", ") + "." : "";
      row(dl, "Volunteers", "This group is looking for volunteers." + skills);
    }
    row(dl, "Contact", contactNode(item) || "No public contact details yet.");
    row(dl, "Groups here", names(item.groups));
    row(dl, "Spaces here", names(item.spaces));
    var confirmed = dateText(item.last_verified_at);
    row(dl, "Checked", confirmed ? "Last confirmed " + confirmed : "Not yet confirmed");
    box.appendChild(dl);
    if (["group", "hub", "space"].indexOf(item.kind) !== -1 && item.id) {  /* the organiser asks for an emailed link to update this listing (/organisers/...) */
      var own = el("p", "pm-organiser-link", "Run this " + (item.kind === "hub" ? "place" : item.kind) + "? ");
      var update = el("a", null, "Update this listing");
      update.href = "/organisers/sign-in?kind=" + encodeURIComponent(item.kind) + "&id=" + encodeURIComponent(item.id);
      update.appendChild(el("span", "pm-visually-hidden", " (" + item.name + ")"));
      own.appendChild(update);
      box.appendChild(own);
    }
    return box;
  }

  /* The lines of a list entry or popup: kind and type, distance, badges. */
  function summaryLine(item, labels) {
    var sub = subtypeName(item, labels);
    var parts = [kindName(item.kind)];
    if (sub && sub.toLowerCase() !== parts[0].toLowerCase()) parts.push(sub);
    var d = distanceText(item.distance_m);
    if (d) parts.push(d);
    return parts.join(" · ");
  }

  window.Patchmap = window.Patchmap || {};
  window.Patchmap.text = {
    sampleKeys: sampleKeys, el: el, plural: plural, safeUrl: safeUrl, distanceText: distanceText, isSample: isSample, kindName: kindName,
    badgeRow: badgeRow, shape: shape, details: details, summaryLine: summaryLine, joinWords: joinWords, fact: fact,
    bookUrl: bookUrl, priceText: priceText, freeTimeText: freeTimeText,
  };
})();
