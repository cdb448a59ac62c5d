/* The header's search box on Pagefind (plugins/search/, partials/intranet-search.html).
 *
 * Behaves like Material's own search: "/", "s" or "f" opens it, Escape closes it, the arrow
 * keys move through the results, Enter opens the first one. Pagefind's worker and index are
 * fetched only when the reader starts typing; each query then loads just the index chunks
 * and result fragments it needs.
 */
(() => {
  "use strict";

  const HIGHLIGHT = "h";
  const WORD = /[\p{L}\p{N}]+(?:[-'][\p{L}\p{N}]+)*/gu;

  /* Arriving from a result (?h=words): mark those words in the article, as Material's
   * search.highlight does, with its <mark> style. Whole words, any case; nothing is fetched. */
  const highlightPage = () => {
    const wanted = new URLSearchParams(location.search).get(HIGHLIGHT);
    const article = document.querySelector(".md-content article");
    if (!wanted || !article) return;
    const words = new Set(wanted.toLocaleLowerCase("sv").split(/\s+/).filter(Boolean));
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
      acceptNode: node => node.parentElement.closest("script, style, mark, .headerlink")
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    const texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    for (const node of texts) {
      const parts = [];
      let last = 0;
      for (const match of node.data.matchAll(WORD)) {
        if (!words.has(match[0].toLocaleLowerCase("sv"))) continue;
        parts.push(node.data.slice(last, match.index));
        const mark = document.createElement("mark");
        mark.dataset.mdHighlight = "";
        mark.textContent = match[0];
        parts.push(mark);
        last = match.index + match[0].length;
      }
      if (parts.length) node.replaceWith(...parts, node.data.slice(last));
    }
  };
  highlightPage();

  const root = document.querySelector("[data-intranet-search]");
  const toggle = document.getElementById("__search");
  if (!root || !toggle) return;
  const form = root.querySelector("form");
  const input = root.querySelector("[data-intranet-search-query]");
  const meta = root.querySelector("[data-intranet-search-meta]");
  const list = root.querySelector(".md-search-result__list");
  const selects = [...root.querySelectorAll("[data-intranet-search-filter]")];
  const filterCount = root.querySelector("[data-intranet-search-filter-count]");
  const strings = JSON.parse(root.dataset.strings);
  const base = new URL(root.dataset.base, location.href);
  const indexUrl = new URL(root.dataset.index, base);
  const PAGE_SIZE = 10;
  // Wait for a pause in typing: every query loads index chunks and result fragments, and a
  // query per keystroke would fetch them for "l", "lö", "lös" … on a tablet's wifi.
  const DEBOUNCE_MS = 80;

  // Swedish stop words (Snowball's list): Pagefind finds pages holding every word of a query,
  // so "hur byter jag lösenordet" would miss pages without "hur" and "jag".
  const STOP_WORDS = new Set((
    "alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig din " +
    "dina ditt du där då efter ej eller en er era ert ett från för ha hade han hans har henne " +
    "hennes hon honom hur här i icke ingen inom inte jag ju kan kunde man med mellan men mig " +
    "min mina mitt mot mycket ni nu när någon något några och om oss på samma sedan sig sin " +
    "sina sitta själv skulle som så sådan sådana sådant till under upp ut utan vad var vara " +
    "varför varit varje vars vart vem vi vid vilka vilkas vilken vilket vår våra vårt än är åt över"
  ).split(" "));

  /* The words Pagefind is asked for. Its Swedish stemmer leaves the definite "-et" of neuter
   * nouns ("lösenordet", "avbrottet"), so that ending is dropped here; every word is matched
   * as a prefix, so "lösenord" then finds lösenord, lösenordet and lösenorden alike. */
  const queryWords = text => {
    const words = text.toLocaleLowerCase("sv").match(/[\p{L}\p{N}]+(?:[-'][\p{L}\p{N}]+)*/gu) || [];
    const content = words.filter(word => !STOP_WORDS.has(word));
    return (content.length ? content : words).map(word => {
      const stem = word.replace(/ets?$/u, "");
      return stem !== word && stem.length >= 5 ? stem : word;
    });
  };

  const fold = text => text.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase("sv");

  /* Pagefind answers a word that is nowhere in the index with pages holding its longest
   * indexed prefix ("passerbricka" finds "passera", "leveransdatum" finds "L"), and has no
   * option against it. A word found for real is in some of the best results with most of
   * its letters; if none of them has it, the reader gets "no results", not noise. */
  const genuine = (words, results) => {
    const texts = results.map(data => fold(data.content).split(/[^\p{L}\p{N}]+/u));
    return words.every(word => {
      const folded = fold(word);
      const prefix = folded.length <= 4 ? folded : folded.slice(0, Math.max(4, folded.length - 3));
      return texts.some(text => text.some(token => token.startsWith(prefix)));
    });
  };

  /* Marks on the page's timeline (DevTools' Performance panel, bench/search_breakdown.py):
   * where a first query's time goes. A mark costs microseconds. */
  const mark = name => performance.mark(`intranet-search:${name}`);

  const OPTIONS = { baseUrl: base.pathname, excerptLength: 24 };
  const language = (document.documentElement.lang || "unknown").toLowerCase();

  /* Pagefind through its own script (pagefind.js), which starts the same web worker. Used
   * only when the worker cannot be talked to directly (see startWorker). */
  const importPagefind = () =>
    import(new URL("pagefind.js", indexUrl).href).then(async module => {
      mark("pagefind.js");
      await module.options(OPTIONS);
      await module.init();
      return module;
    });

  /* Pagefind in its web worker, started at the first letter and spoken to with the messages
   * Pagefind's own script sends it (pagefind.js 1.5: {id, instanceId, method, args}, answered
   * with {id, result} or {id, error}). Through pagefind.js, the worker could only start once
   * that 45 kB script had been fetched and evaluated, and the worker fetched the entry file,
   * then the metadata and the WebAssembly, one round trip after the other, while the worker
   * started. Here the worker starts at once, and the page asks for those files beside it:
   * the worker's own requests then find them in the HTTP cache or under way. Nothing else
   * of Pagefind changes: its worker script indexes, searches and builds the results.
   * tests/search/test_index_check.py fails when a Pagefind version writes these messages
   * differently; should the worker refuse them anyway, pagefind.js takes over. */
  const startWorker = () => {
    const worker = new Worker(new URL("pagefind-worker.js", indexUrl));
    const pending = new Map();
    let sent = 0;
    const fail = error => {
      for (const { reject } of pending.values()) reject(error);
      pending.clear();
    };
    worker.addEventListener("message", ({ data }) => {
      const waiting = pending.get(data && data.id);
      if (!waiting) return;
      pending.delete(data.id);
      if (data.error !== undefined) waiting.reject(new Error(data.error));
      else waiting.resolve(data.result);
    });
    worker.addEventListener("error", event => {
      event.preventDefault();
      fail(new Error(`Pagefind's worker failed: ${event.message}`));
    });
    const call = (method, ...args) => new Promise((resolve, reject) => {
      const id = `intranet-search-${sent++}`;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, instanceId: "intranet-search", method, args });
    });
    // The results' page data stays in the worker until the page lets go of the result.
    const release = new FinalizationRegistry(id => { call("releaseData", id).catch(() => {}); });
    const withData = found => {
      for (const result of (found && found.results) || []) {
        const id = result.data;
        if (typeof id !== "string") continue;
        release.register(result, id);
        result.data = () => call("getData", id);
      }
      return found;
    };
    // Pagefind asks for the entry file with ?ts= (its metaCacheTag) so that it is never an old
    // one from the cache; the page asks for the same address now, and for what it names.
    const tag = String(Date.now());
    const entry = fetch(new URL(`pagefind-entry.json?ts=${tag}`, indexUrl)).then(r => r.json());
    entry.then(json => {
      const index = json.languages[language] || Object.values(json.languages)[0];
      if (index) fetch(new URL(`pagefind.${index.hash}.pf_meta`, indexUrl)).catch(() => {});
    }).catch(() => {});
    if (root.dataset.wasm) fetch(new URL(root.dataset.wasm, indexUrl)).catch(() => {});
    return call("init", {
      ...OPTIONS, basePath: indexUrl.pathname, language, primary: true, metaCacheTag: tag,
    }).then(() => (mark("worker"), {
      search: (term, options) => call("search", term, options).then(withData),
      preload: (term, options) => call("preload", term, options),
    }), error => {
      worker.terminate();
      throw error;
    });
  };

  let pagefind = null;
  const loadPagefind = () => {
    if (!pagefind) {
      let direct;
      try {
        direct = startWorker();
      } catch (error) {
        direct = Promise.reject(error);
      }
      pagefind = direct.catch(error => {
        console.warn("intranet-search: using pagefind.js;", error);
        return importPagefind();
      });
      pagefind.catch(() => { pagefind = null; });
    }
    return pagefind;
  };

  const filters = () => {
    const chosen = {};
    for (const select of selects) {
      if (select.value) chosen[select.dataset.intranetSearchFilter] = select.value;
    }
    return chosen;
  };

  const count = n =>
    n === 0 ? strings.none : n === 1 ? strings.one : strings.other.replace("#", String(n));

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  /* The words a result matched, as its page writes them (Pagefind's word positions in the
   * page text), put in the result's address as ?h=, Material's parameter, so that the page
   * highlights them when the reader follows the result (highlightPage below). */
  const matchedWords = data => {
    const words = (data.content || "").split(/[\r\n\s]+/);
    const found = new Set();
    for (const at of data.locations || []) {
      const word = (words[at] || "").match(WORD);
      if (word) found.add(word[0].toLocaleLowerCase("sv"));
      if (found.size >= 10) break;
    }
    return [...found];
  };
  const withHighlight = (url, words) => {
    if (!words.length) return url;
    const target = new URL(url, location.href);
    target.searchParams.set(HIGHLIGHT, words.join(" "));
    return target.href;
  };

  /* One result in Material's markup, so that Material's stylesheet lays it out. Pagefind's
   * excerpts are the page text escaped, with <mark> around the words that matched. */
  const renderResult = data => {
    const item = element("li", "md-search-result__item");
    const link = element("a", "md-search-result__link");
    const matched = matchedWords(data);
    link.href = withHighlight(data.url, matched);
    const article = element("article", "md-search-result__article md-typeset");
    article.append(element("div", "md-search-result__icon md-icon"));
    article.append(element("h1", "", data.meta.title || data.url));
    const facts = [data.meta.datum, data.meta.kategori].filter(Boolean).join(" · ");
    if (facts) article.append(element("p", "intranet-search__facts", facts));
    const excerpt = element("p");
    excerpt.innerHTML = data.excerpt;
    article.append(excerpt);
    link.append(article);
    item.append(link);
    for (const sub of (data.sub_results || []).slice(0, 2)) {
      if (sub.url === data.url || !sub.url.includes("#")) continue;
      const subLink = element("a", "md-search-result__link");
      subLink.href = withHighlight(sub.url, matched);
      const subArticle = element("article", "md-search-result__article md-typeset");
      subArticle.append(element("h2", "", sub.title));
      const subExcerpt = element("p");
      subExcerpt.innerHTML = sub.excerpt;
      subArticle.append(subExcerpt);
      subLink.append(subArticle);
      item.append(subLink);
    }
    return item;
  };

  const more = element("button", "md-button intranet-search__more", strings.more);
  more.type = "button";

  let latest = 0;
  let shown = [];
  let all = [];
  let trusted = false;
  let words = [];

  /* The next page of results, each drawn as soon as it and those above it have arrived, so
   * the first result shows without waiting for the tenth. Until one result holds every
   * word (see genuine), nothing is drawn. False when the query only found noise. */
  const showMore = async () => {
    const ticket = latest;
    const next = all.slice(shown.length, shown.length + PAGE_SIZE);
    const data = new Array(next.length);
    let drawn = 0;
    const draw = () => {
      if (ticket !== latest || !trusted) return;
      if (!shown.length) {
        list.replaceChildren();
        meta.textContent = count(all.length);
      }
      while (drawn < next.length && data[drawn] !== undefined) {
        shown.push(data[drawn]);
        list.append(renderResult(data[drawn]));
        drawn++;
      }
    };
    const load = at => next[at].data().then(loaded => {
      if (at === 0) mark("fragment");
      data[at] = loaded;
      if (!trusted && genuine(words, [loaded])) trusted = true;
      draw();
    });
    // The first result's fragment alone, then the others: asked all at once, the ten share
    // Pagefind's worker and the connections, and the one the reader sees first comes later.
    if (next.length) await load(0);
    if (ticket !== latest) return true;
    await Promise.all(next.slice(1).map((_result, at) => load(at + 1)));
    if (ticket !== latest) return true;
    if (!trusted && !genuine(words, data)) return false;
    trusted = true;
    draw();
    if (shown.length < all.length) list.append(moreItem);
    else moreItem.remove();
    return true;
  };
  const moreItem = element("li", "md-search-result__item intranet-search__more-item");
  moreItem.append(more);
  more.addEventListener("click", () => {
    moreItem.remove();
    const first = list.children.length;
    showMore().then(() => list.children[first]?.querySelector("a")?.focus());
  });

  const search = async () => {
    const ticket = ++latest;
    words = queryWords(input.value);
    const chosen = filters();
    const active = Object.keys(chosen).length;
    filterCount.textContent = active ? ` (${active})` : "";
    if (!words.length && !active) {
      list.replaceChildren();
      meta.textContent = strings.placeholder;
      delete root.dataset.searched;
      return;
    }
    try {
      const engine = await loadPagefind();
      if (ticket !== latest) return;
      const found = await engine.search(words.length ? words.join(" ") : null, { filters: chosen });
      mark("search");
      if (ticket !== latest) return;  // a newer query is under way
      all = found.results;
      shown = [];
      trusted = !words.length;  // filters alone: every result is what was asked for
      if (!all.length || !(await showMore())) {
        if (ticket !== latest) return;
        all = shown = [];
        list.replaceChildren();
        meta.textContent = count(0);
      }
      if (ticket !== latest) return;
      // What was searched, for tests and for anyone scripting the page.
      root.dataset.searched = JSON.stringify({ query: input.value, filters: chosen });
    } catch (error) {
      if (ticket !== latest) return;
      list.replaceChildren();
      meta.textContent = strings.failed;
      console.error("intranet-search:", error);
    }
  };

  /* A query is searched at once when it follows a pause (the first letter, a paste, a word
   * typed after a thought): the reader waits for nothing. Letters typed faster than
   * DEBOUNCE_MS apart are searched when the typing pauses, so that a quick typist does not
   * fetch result fragments for "l", "lö", "lös" …; the index chunks for every letter are
   * still fetched at once (preload), while the reader types. */
  let timer = 0;
  let lastInput = -Infinity;
  const searchSoon = () => {
    clearTimeout(timer);
    latest++;  // results of a query typed over are not shown
    const now = performance.now();
    const paused = now - lastInput >= DEBOUNCE_MS;
    lastInput = now;
    if (paused) {
      search();  // loads Pagefind's script and WebAssembly at the first letter
      return;
    }
    // While the reader types on, the index chunks of what is typed so far are fetched.
    loadPagefind().then(engine => {
      const typed = queryWords(input.value);
      if (typed.length) engine.preload(typed.join(" "));
    }).catch(() => {});
    timer = setTimeout(search, DEBOUNCE_MS);
  };

  const open = () => {
    if (!toggle.checked) {
      toggle.checked = true;
      toggle.dispatchEvent(new Event("change"));
    }
  };
  const close = () => {
    if (toggle.checked) {
      toggle.checked = false;
      toggle.dispatchEvent(new Event("change"));
    }
    input.blur();
  };

  input.addEventListener("focus", open);
  input.addEventListener("input", searchSoon);
  for (const select of selects) select.addEventListener("change", search);
  toggle.addEventListener("change", () => {
    if (toggle.checked && document.activeElement !== input) input.focus();
  });
  form.addEventListener("submit", event => {
    event.preventDefault();
    const first = list.querySelector("a");
    if (first) location.href = first.href;
  });
  form.addEventListener("reset", () => {
    setTimeout(() => { search(); input.focus(); });
  });

  const typing = target =>
    target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

  document.addEventListener("keydown", event => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const inSearch = root.contains(document.activeElement);
    if (!inSearch) {
      if (!typing(event.target) && ["/", "s", "f"].includes(event.key)) {
        event.preventDefault();
        open();
        input.focus();
        input.select();
      }
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const links = [...list.querySelectorAll("a")];
      if (!links.length) return;
      event.preventDefault();
      const at = links.indexOf(document.activeElement);
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = at === -1 ? (step > 0 ? 0 : links.length - 1) : at + step;
      if (next < 0 || next >= links.length) input.focus();
      else links[next].focus();
    }
  });
})();
