// What depends on "now", decided with the reader's clock.
//
// The site is built only when someone publishes, so the HTML carries the state at build time
// (what a reader without JavaScript sees). This script decides again with the browser's clock,
// by the rules of plugins/changes/state.py (keep the two alike; tests/browser/test_changes.py
// holds them together): the status badges, the window's state and the days left on the change
// card and in the news lists, the banner on every page, and the lists of "Kommande ändringar"
// and the home page, rebuilt from now.json.
(function () {
  "use strict";

  var LABELS = { "planerad": "Planerad", "pågår": "Pågår", "klar": "Klar", "inställd": "Inställd" };
  var SLUGS = { "planerad": "planerad", "pågår": "pagar", "klar": "klar", "inställd": "installd" };
  var DAY = 86400000;
  var DAY_PARTS = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Stockholm", year: "numeric", month: "numeric", day: "numeric"
  });

  // Days since 1970 of the calendar day in Sweden at the moment `ms`.
  function stockholmDay(ms) {
    var parts = {};
    DAY_PARTS.formatToParts(new Date(ms)).forEach(function (part) { parts[part.type] = part.value; });
    return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / DAY;
  }

  // Days since 1970 of an ISO date such as 2026-12-11.
  function isoDay(text) {
    var bits = text.slice(0, 10).split("-").map(Number);
    return Date.UTC(bits[0], bits[1] - 1, bits[2]) / DAY;
  }

  function phase(entry, now) {
    if (!entry.window) return null;
    if (now < Date.parse(entry.window.start)) return "before";
    if (now < Date.parse(entry.window.end)) return "during";
    return "after";
  }

  function effectiveStatus(entry, now) {
    if (entry.status !== "planerad") return entry.status;
    var where = phase(entry, now);
    if (where === "during") return "pågår";
    if (where === "after") return "klar";
    return "planerad";
  }

  function isCurrent(entry, now) { return effectiveStatus(entry, now) === "pågår"; }

  function daysLeftText(by, now) {
    var days = isoDay(by) - stockholmDay(now);
    if (days < 0) return "tiden har gått ut";
    if (days === 0) return "sista dagen är i dag";
    if (days === 1) return "1 dag kvar";
    return days + " dagar kvar";
  }

  function phaseText(entry, now) {
    if (entry.status === "inställd") return "inställt";
    var where = phase(entry, now);
    if (where === "before") {
      var days = stockholmDay(Date.parse(entry.window.start)) - stockholmDay(now);
      if (days === 0) return "börjar i dag";
      if (days === 1) return "börjar i morgon";
      return "börjar om " + days + " dagar";
    }
    if (where === "during") return "pågår nu";
    if (where === "after") return "har passerat";
    return "";
  }

  function isOpen(entry, now) {
    if (entry.status === "klar") return false;
    if (entry.status === "pågår") return true;
    var windowOpen = !!entry.window && Date.parse(entry.window.end) > now;
    var actionOpen = !!entry.action && isoDay(entry.action.by) >= stockholmDay(now);
    if (entry.status === "inställd") return windowOpen;
    return windowOpen || actionOpen;
  }

  function upcoming(entries, now) {
    var open = entries.filter(function (entry) { return isOpen(entry, now); });
    function byStart(a, b) {
      var x = a.window ? Date.parse(a.window.start) : Infinity;
      var y = b.window ? Date.parse(b.window.start) : Infinity;
      return x - y || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    }
    return {
      ongoing: open.filter(function (e) { return isCurrent(e, now); }).sort(byStart),
      windows: open.filter(function (e) {
        return e.window && phase(e, now) === "before" && !isCurrent(e, now);
      }).sort(byStart),
      actions: open.filter(function (e) {
        return e.action && e.status !== "inställd" && isoDay(e.action.by) >= stockholmDay(now);
      }).sort(function (a, b) {
        return isoDay(a.action.by) - isoDay(b.action.by) || (a.key < b.key ? -1 : 1);
      })
    };
  }

  function setBadge(badge, status) {
    if (!badge) return;
    Object.keys(SLUGS).forEach(function (s) { badge.classList.remove("change-badge--" + SLUGS[s]); });
    badge.classList.add("change-badge--" + SLUGS[status]);
    badge.lastChild.textContent = " " + LABELS[status];
  }

  function badge(status) {
    var span = document.createElement("span");
    span.className = "change-badge change-badge--" + SLUGS[status];
    span.setAttribute("data-change-badge", "");
    var label = document.createElement("span");
    label.className = "change-badge__label";
    label.textContent = "Status:";
    span.appendChild(label);
    span.appendChild(document.createTextNode(" " + LABELS[status]));
    return span;
  }

  // The card and the lines in the news lists: badge, window state, days left.
  function updateCards(now) {
    document.querySelectorAll("[data-change]").forEach(function (element) {
      var entry = JSON.parse(element.getAttribute("data-change"));
      var status = effectiveStatus(entry, now);
      setBadge(element.querySelector("[data-change-badge]"), status);
      Object.keys(SLUGS).forEach(function (s) {
        element.classList.remove("change-card--" + SLUGS[s]);
      });
      if (element.classList.contains("change-card")) {
        element.classList.add("change-card--" + SLUGS[status]);
      }
      var when = element.querySelector("[data-change-when]");
      if (when && entry.window) when.textContent = "(" + phaseText(entry, now) + ")";
      var left = element.querySelector("[data-change-left]");
      if (left && entry.action) left.textContent = "(" + daysLeftText(entry.action.by, now) + ")";
    });
  }

  function link(entry, root) {
    var anchor = document.createElement("a");
    anchor.href = new URL(entry.url, root).href;
    anchor.textContent = entry.title;
    return anchor;
  }

  function item(entry, kind, now, root) {
    var li = document.createElement("li");
    li.appendChild(badge(effectiveStatus(entry, now)));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(link(entry, root));
    var detail = document.createElement("span");
    detail.className = "upcoming__detail";
    if (kind === "actions") {
      detail.textContent = "Senast " + entry.action.text + ": " + entry.action.what +
        " (" + daysLeftText(entry.action.by, now) + ")";
    } else if (entry.window) {
      detail.textContent = entry.window.text + " (" + phaseText(entry, now) + ")";
    } else {
      detail.textContent = "Pågår nu";
    }
    li.appendChild(document.createElement("br"));
    li.appendChild(detail);
    if (kind !== "actions" && entry.services && entry.services.length) {
      var services = document.createElement("span");
      services.className = "upcoming__services";
      services.textContent = "Berör: " + entry.services.join(", ");
      li.appendChild(document.createElement("br"));
      li.appendChild(services);
    }
    return li;
  }

  // Lists marked data-upcoming="ongoing,windows" (home) or one kind each (Kommande ändringar).
  function updateLists(lists, now, root) {
    document.querySelectorAll("[data-upcoming]").forEach(function (section) {
      var list = section.querySelector("ul");
      var empty = section.querySelector("[data-upcoming-empty]");
      if (!list) return;
      while (list.firstChild) list.removeChild(list.firstChild);
      var count = 0;
      section.getAttribute("data-upcoming").split(",").forEach(function (kind) {
        lists[kind].forEach(function (entry) {
          list.appendChild(item(entry, kind, now, root));
          count += 1;
        });
      });
      list.hidden = count === 0;
      if (empty) empty.hidden = count !== 0;
    });
  }

  function updateBanner(banner, entries, now, root) {
    var list = banner.querySelector("[data-now-banner-list]");
    while (list.firstChild) list.removeChild(list.firstChild);
    var current = upcoming(entries, now).ongoing;
    // The banner is on every page: the first few are named, the rest counted and linked to
    // "Kommande ändringar" (intranet-changes' banner_limit, as the build does).
    var limit = parseInt(banner.getAttribute("data-now-limit"), 10) || current.length;
    current.slice(0, limit).forEach(function (entry) {
      var li = document.createElement("li");
      var strong = document.createElement("strong");
      strong.textContent = "Pågår nu:";
      li.appendChild(strong);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(link(entry, root));
      if (entry.window) li.appendChild(document.createTextNode(" – " + entry.window.text));
      list.appendChild(li);
    });
    var more = banner.querySelector("[data-now-banner-more]");
    if (more) {
      more.querySelector("[data-now-banner-more-count]").textContent =
        String(Math.max(0, current.length - limit));
      more.hidden = current.length <= limit;
    }
    banner.hidden = current.length === 0;
  }

  function run() {
    var now = Date.now();
    updateCards(now);
    var banner = document.querySelector("[data-now-banner]");
    if (!banner) return;
    var file = new URL(banner.getAttribute("data-now-file"), document.baseURI);
    var root = new URL("./", file);
    fetch(file.href, { cache: "no-cache" })
      .then(function (response) {
        if (!response.ok) throw new Error("now.json: HTTP " + response.status);
        return response.json();
      })
      .then(function (document_) {
        var entries = document_.changes || [];
        now = Date.now();
        updateBanner(banner, entries, now, root);
        updateLists(upcoming(entries, now), now, root);
        document.documentElement.setAttribute("data-now-checked", "");
      })
      .catch(function () {
        // Without now.json the build-time state stays: stale at worst, never empty.
        document.documentElement.setAttribute("data-now-checked", "failed");
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
