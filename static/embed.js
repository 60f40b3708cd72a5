/*! memberdrive embed v1: no cookies, no personal data; one flag per campaign in this site's own storage once a reader joined from here. uk nouns after "з N" are genitive. */
(function (w, d) {
  "use strict";
  if (w.memberdrive) return w.memberdrive.render();
  var SEL = "[data-memberdrive-campaign]", enc = encodeURIComponent, IO = w.IntersectionObserver, ES = w.EventSource;
  var src = (d.currentScript || {}).src, ss = d.getElementsByTagName("script"), i = ss.length;
  while (!src && i--) if (/\/widget\/embed\.js([?#]|$)/.test(ss[i].src)) src = ss[i].src;
  if (!src) return;
  var m = /^(.*)\/widget\/embed\.js([?#].*)?$/.exec(src);
  var W = (m ? m[1] : new URL(src).origin) + "/widget/";
  var seen = new WeakSet(), all = [], timer;

  // On the iframe's page (/widget/SLUG): tell the article the page's height, at once and on
  // every change, so the embed code's listener sizes the frame to fit. Embed codes without
  // the listener ignore the message and keep their fixed height.
  var FR = d.documentElement.getAttribute("data-memberdrive-frame");
  if (FR && w.parent != w) {
    var tell = function () {
      var h = Math.ceil(d.documentElement.getBoundingClientRect().height);
      w.parent.postMessage({ type: "memberdrive:height", campaign: FR, height: h }, "*");
    };
    if (w.ResizeObserver) new ResizeObserver(tell).observe(d.documentElement);
    w.addEventListener("load", tell);
  }
  var L = {
    en: {
      of: " of ", n: { amount: ["raised"], members: ["member", "members"], supporters: ["supporter", "supporters"] },
      d: ["# day left", "# days left"], h: ["# hour left", "# hours left"],
      ok: "Goal reached — thank you!", end: "Campaign ended", jm: "Become a member", js: "Support us",
      st: "# reached — next: %", ty: "Thank you for being with us!", rl: "Remind me later"
    },
    uk: {
      of: " з ", n: { amount: ["зібрано"], members: ["учасника", "учасників", "учасників"], supporters: ["прихильника", "прихильників", "прихильників"] },
      d: ["Залишився # день", "Залишилося # дні", "Залишилося # днів"], h: ["Залишилася # година", "Залишилося # години", "Залишилося # годин"],
      ok: "Мету досягнуто — дякуємо!", end: "Кампанію завершено", jm: "Стати учасником", js: "Підтримати",
      st: "# досягнуто — далі: %", ty: "Дякуємо, що ви з нами!", rl: "Нагадати пізніше"
    }
  };

  // Back from joining (the account page links here with #memberdrive-joined=SLUG): remember
  // it on this site, so its widgets thank the reader instead of asking again.
  var JK = "memberdrive:joined:", jh = /(?:^#|&)memberdrive-joined=([a-z0-9-]+)/.exec(location.hash);
  try {
    if (jh) w.localStorage.setItem(JK + jh[1], "1"), history.replaceState(history.state, "", location.href.split("#")[0]);
  } catch (e) {}
  function joined(s) { try { return w.localStorage.getItem(JK + s.slug) == "1"; } catch (e) { return false; } }

  var DK = "{--bg:#17191d;--fg:#eceef1;--mu:#a9b1bc;--bd:#3b4048;--tr:#3a3f47;--ac:#7ab7ff;--on:#0b1220;--ok:#5ad27a}";
  var CSS = ":host{display:block}:host([hidden]),[hidden]{display:none!important}" +
    ".w{all:initial;display:block;--bg:#fff;--fg:#1b1d21;--mu:#545b66;--bd:#d3d8de;--tr:#e2e6eb;--ac:#0a58ca;--on:#fff;--ok:#17773a;" +
    "font:15px/1.45 system-ui,-apple-system,sans-serif;color:var(--fg);background:var(--bg);" +
    "border:1px solid var(--bd);border-radius:10px;padding:14px 16px}" +
    ".dark" + DK + "@media(prefers-color-scheme:dark){.auto" + DK + "}" +
    ".t{font-weight:700;font-size:17px;margin-bottom:10px}" +
    ".b{position:relative;height:12px;border-radius:6px;background:var(--tr);margin-bottom:6px}" +
    ".f{height:100%;border-radius:6px;background:var(--ac)}.ok .f{background:var(--ok)}" +
    "@media(prefers-reduced-motion:no-preference){.f{transition:width .8s}}" +
    ".k{position:absolute;top:0;bottom:-6px;width:2px;margin-left:-1px;background:linear-gradient(var(--bg) 12px,var(--mu) 0)}" +
    ".r{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:6px 16px;margin-top:8px}" +
    ".p{font-weight:700}.s{color:var(--mu)}.ok .s{color:var(--ok);font-weight:700}.y{font-weight:700;color:var(--ok)}a.l{padding:0;background:none;color:var(--ac);font-weight:400;text-decoration:underline}" +
    "a{padding:8px 16px;border-radius:6px;background:var(--ac);color:var(--on);font-weight:700;text-decoration:none}" +
    "a:hover{text-decoration:underline}a:focus{outline:3px solid var(--fg);outline-offset:2px}" +
    ".c{display:flex;flex-wrap:wrap;align-items:center;gap:0 12px;padding:8px 12px}.c .b{flex:1 1 120px;margin:6px 0 12px}";

  function el(tag, cls, parent, text) {
    var e = d.createElement(tag);
    e.className = cls;
    if (text) e.textContent = text;
    return parent.appendChild(e);
  }
  // The article: the page itself, or the one an iframe names in data-ref.
  function page(s, q) { return (s.host.getAttribute("data-ref") || location.href).split(q ? /[?#]/ : "#")[0]; }
  function nf(s, o) { return new Intl.NumberFormat(s.lang, o); }
  function pl(s, n, f) {
    var r = Intl.PluralRules ? new Intl.PluralRules(s.lang).select(n) : n == 1 ? "one" : "";
    return f[r == "one" ? 0 : r == "few" && f[2] ? 1 : f.length - 1];
  }
  function money(s, cur, v) {
    var o = { style: "currency", currency: cur, currencyDisplay: "narrowSymbol" }, f;
    try { f = nf(s, o); } catch (e) { delete o.currencyDisplay; f = nf(s, o); }
    v /= Math.pow(10, f.resolvedOptions().maximumFractionDigits);
    if (v % 1 == 0) o.minimumFractionDigits = o.maximumFractionDigits = 0;
    return nf(s, o).format(v);
  }
  function ok(D) { return D && typeof D.count == "number" && typeof D.goal == "number"; }

  function hit(s, ev) {
    var u = W + enc(s.slug) + "/hit", b = new URLSearchParams({ event: ev, ref: page(s, 1) });
    if (s.v) b.append("variant", s.v);
    try { if (navigator.sendBeacon(u, b)) return; } catch (e) {}
    try { fetch(u, { method: "POST", keepalive: true, mode: "no-cors", credentials: "omit", body: b }).catch(function () {}); } catch (e) {}
  }

  function fv(s, D, v) {
    if (D.metric == "amount" && D.currency) try { return money(s, D.currency, v); } catch (e) {}
    return nf(s).format(v);
  }
  function text(s, D) {
    var t = L[s.lang], n = t.n.hasOwnProperty(D.metric) && t.n[D.metric];
    return fv(s, D, D.count) + t.of + fv(s, D, D.goal) + (n ? " " + pl(s, D.goal, n) : "");
  }
  // The day (days since 1970-01-01) that instant `t` falls on in time zone `z`.
  function day(t, z) {
    try {
      var f = new Intl.DateTimeFormat("en-CA", { timeZone: z || "UTC", year: "numeric", month: "2-digit", day: "2-digit" });
      return Math.round(Date.parse(f.format(new Date(t)) + "T00:00:00Z") / 864e5);
    } catch (x) { return Math.floor(t / 864e5); }
  }
  // Days are the campaign's: "1 day left" on the day before its last day there, hours on it.
  function status(s, D) {
    var t = L[s.lang], e = Date.parse(D.ends_at), now = Date.now(), ms = e - now, u = t.d;
    var n = e ? day(e - 1000, D.time_zone) - day(now, D.time_zone) : 0;
    var p = (D.goals_reached || []).map(function (r) { return r.goal; }).filter(function (g) { return g < D.goal; }).pop();
    if (D.reached) return t.ok;
    if (p) return t.st.replace("#", fv(s, D, p)).replace("%", fv(s, D, D.goal));
    if (!e) return "";
    if (ms <= 0) return t.end;
    if (n < 1) { n = Math.max(1, Math.floor(ms / 36e5)); u = t.h; }
    return pl(s, n, u).replace("#", nf(s).format(n));
  }

  function build(s) {
    var root = s.host.attachShadow({ mode: "open" }), r;
    el("style", "", root, CSS);
    s.bs = el("style", "", root);
    s.w = el("div", "w " + s.theme + (s.compact ? " c" : ""), root);
    if (!s.compact) s.t = el("div", "t", s.w);
    s.b = el("div", "b", s.w);
    s.b.setAttribute("role", "progressbar");
    s.f = el("div", "f", s.b);
    if (s.compact) return s.n = el("span", "n", s.w);
    r = el("div", "r", s.w);
    s.n = el("span", "n", r);
    s.p = el("span", "p", r);
    s.r = el("div", "r", s.w);
    s.s = el("span", "s", s.r);
    if (s.join && joined(s)) s.y = el("span", "y", s.r, L[s.lang].ty);
    else if (s.join) {
      s.a = el("a", "", s.r);
      if (w.top != w) s.a.target = "_top";
      s.a.onclick = function () { hit(s, "click"); };
      s.l = el("a", "l", s.r, L[s.lang].rl);
      if (w.top != w) s.l.target = "_top";
    }
  }

  // The appeal: the title, or (half the readers, when the campaign has one) its second title.
  function title(s, D) { return (s.v == "b" && D.title_b) || D.title || ""; }

  function update(s, D) {
    var t = L[s.lang], g = D.goal, pc = +D.percent, tx = text(s, D), st = status(s, D), a, u;
    if (!(pc >= 0)) pc = g > 0 ? D.count / g * 100 : 0;
    s.D = D;
    // The outlet's accent, on the light look (the dark one keeps its own, legible blue).
    if (/^#[0-9a-f]{6}$/.test(D.accent) && /^#[0-9a-f]{6}$/.test(D.accent_text)) {
      a = "{--ac:" + D.accent + ";--on:" + D.accent_text + "}";
      s.bs.textContent = ".light" + a + "@media not (prefers-color-scheme:dark){.auto" + a + "}";
    }
    s.w.classList.toggle("ok", !!D.reached);
    s.f.style.width = (D.reached ? 100 : Math.min(100, pc)) + "%";
    a = { "aria-valuenow": D.count, "aria-valuemin": 0, "aria-valuemax": g, "aria-valuetext": tx, "aria-label": title(s, D) };
    for (u in a) s.b.setAttribute(u, a[u]);
    (s.ks || []).forEach(function (k) { k.remove(); });
    s.ks = [].concat(D.milestones || []).filter(function (v) { return v > 0 && v < g; }).map(function (v) {
      var k = el("i", "k", s.b);
      k.style.left = v / g * 100 + "%";
      return k;
    });
    s.n.textContent = tx;
    if (s.compact) return;
    s.t.textContent = title(s, D);
    s.p.textContent = nf(s, { style: "percent", maximumFractionDigits: 1 }).format(pc / 100);
    s.s.textContent = st;
    s.s.hidden = !st;
    s.r.hidden = !st && !s.a && !s.y;
    if (s.a) {
      s.a.textContent = D.metric == "members" ? t.jm : t.js;
      u = /^https?:\/\//i.test(D.join_url) ? D.join_url : W.slice(0, -7) + "join/" + enc(s.slug);
      s.a.href = u + (u.indexOf("?") < 0 ? "?" : "&") + "ref=" + enc(page(s)) + (s.v ? "&variant=" + s.v : "");
      s.l.href = W.slice(0, -7) + "remind/" + enc(s.slug) + "?lang=" + s.lang + "&ref=" + enc(page(s));
    }
  }
  function live(s, on) {
    var x = s.es, n = 0;
    if (!s.live || !ES || !on == !x) return;
    if (!on) return x.close(), s.es = 0;
    x = s.es = new ES(W + enc(s.slug) + "/events?lang=" + s.lang);
    x.onmessage = function (e) {
      n = 0;
      try { e = JSON.parse(e.data); } catch (_) { return; }
      if (ok(e)) update(s, e);
    };
    x.onerror = function () { if (++n > 5 || x.readyState == 2) x.close(), s.es = s.live = 0; };
  }

  function show(s) {
    if (!IO) return hit(s, "view"), live(s, 1);
    new IO(function (es) {
      var v = es[es.length - 1].isIntersecting;
      if (v && !s.seen) hit(s, "view"), s.seen = 1;
      clearTimeout(s.to);
      if (v) live(s, 1);
      else s.to = setTimeout(live, 3e4, s, 0);
    }).observe(s.host);
  }

  function add(host) {
    var A = function (n) { return host.getAttribute("data-" + n); }, slug = (A("memberdrive-campaign") || "").trim(), s;
    if (!slug || seen.has(host) || host.shadowRoot) return;
    seen.add(host);
    s = {
      host: host, slug: slug,
      lang: /^uk/i.test(A("lang") || d.documentElement.lang) ? "uk" : "en",
      theme: /^(dark|auto)$/.test(A("theme")) ? A("theme") : "light",
      compact: A("compact") != null && A("compact") != "false",
      join: A("join") != "false", live: A("live") != "false"
    };
    fetch(W + enc(slug) + ".json?lang=" + s.lang, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw r.status;
      return r.json();
    }).then(function (D) {
      if (!ok(D) || host.shadowRoot) return;
      s.v = D.title_b ? (Math.random() < 0.5 ? "a" : "b") : "";
      build(s);
      update(s, D);
      all.push(s);
      show(s);
      timer = timer || setInterval(function () {
        all.forEach(function (s) { if (s.D.ends_at) update(s, s.D); });
      }, 6e4);
    }).catch(function () { seen.delete(host); });
  }

  function scan(n) {
    n = n || d;
    if (n.matches && n.matches(SEL)) add(n);
    if (n.querySelectorAll) [].forEach.call(n.querySelectorAll(SEL), add);
  }
  scan();
  new MutationObserver(function (ms) {
    ms.forEach(function (m) {
      if (m.type == "attributes") scan(m.target);
      [].forEach.call(m.addedNodes, function (n) { if (n.nodeType == 1) scan(n); });
    });
  }).observe(d, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-memberdrive-campaign"] });

  w.memberdrive = { version: "1", render: function () { scan(); } };
})(window, document);
