/**
 * The report page's one stylesheet and one script. They are inline (the page
 * is a single file) and the page's Content-Security-Policy allows exactly
 * these two by their SHA-256, computed when the page is rendered.
 *
 * The script only adds comfort (sorting, filtering, a detail panel on click):
 * the findings table, blind spots and timelines are complete without it. It
 * reads data only with JSON.parse and writes text only with textContent.
 */

export const STYLE = `
:root { --fg: #1d2327; --muted: #5f6b73; --line: #d5dbe0; --bg: #fff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0 24px 48px; }
h1 { font-size: 22px; margin: 18px 0 6px; }
h2 { font-size: 17px; margin: 26px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { white-space: pre-wrap; word-break: break-all; margin: 4px 0; }
.muted { color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; word-break: break-all; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: 6px 10px; margin: 8px 0; }
.notice { background: var(--panel); border: 1px solid var(--line); padding: 6px 12px; }
.notice li { margin: 2px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--panel); white-space: nowrap; }
th button { font: inherit; font-weight: bold; border: 0; background: none; cursor: pointer; padding: 0; }
tr:target { outline: 2px solid #1565c0; background: #e8f0fe; }
details > summary { cursor: pointer; }
.sev { display: inline-block; min-width: 64px; text-align: center; border-radius: 3px; padding: 0 4px; font-size: 12px; font-weight: bold; }
.sev-info { background: #eceff1; } .sev-low { background: #b2ebf2; } .sev-medium { background: #ffe082; }
.sev-high { background: #ef9a9a; } .sev-critical { background: #b71c1c; color: #fff; }
.filters { margin: 6px 0; display: flex; gap: 16px; }
.hex { color: #37474f; }
.proc { margin: 14px 0 26px; }
.proc-note { font-size: 12.5px; color: var(--muted); margin: 2px 0 4px; }
svg.timeline { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid var(--line); }
svg text { font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: #37474f; }
svg .axis { stroke: #b0bec5; stroke-width: 1; }
svg .grid { stroke: #eceff1; stroke-width: 1; }
.p-none { fill: #eeeeee; } .p-r { fill: #cfd8dc; } .p-rw { fill: #64b5f6; } .p-rx { fill: #66bb6a; } .p-x { fill: #2e7d32; }
.p-wx { fill: #e53935; }
svg .cut { fill: #9e9e9e; fill-opacity: 0.35; }
svg .m { cursor: pointer; }
svg .m:focus { outline: none; }
svg .m:focus > *, svg .m:hover > * { stroke: #000; stroke-width: 2; }
svg .k-map { fill: #1565c0; } svg .k-prot { fill: #6a1b9a; } svg .k-unmap { fill: #455a64; } svg .k-bytes { fill: #ff8f00; }
svg .k-load { fill: #00838f; } svg .k-proc { fill: #8d6e63; } svg .k-failed { fill: #fff; stroke: #c62828; stroke-width: 1.5; }
svg .smp { fill: #111; stroke: #fff; stroke-width: 0.6; } svg .smp-1 { fill-opacity: 0.45; } svg .smp-2 { fill-opacity: 0.7; } svg .smp-3 { fill-opacity: 0.95; }
svg .f-info { fill: #90a4ae; } svg .f-low { fill: #00acc1; } svg .f-medium { fill: #ffb300; } svg .f-high { fill: #e53935; } svg .f-critical { fill: #7f0000; }
svg .flag { stroke: #000; stroke-width: 0.8; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12.5px; margin: 6px 0 10px; }
.sw { display: inline-block; width: 14px; height: 10px; border: 1px solid #90a4ae; vertical-align: middle; margin-right: 4px; }
.sw.p-none { background: #eeeeee; } .sw.p-r { background: #cfd8dc; } .sw.p-rw { background: #64b5f6; } .sw.p-rx { background: #66bb6a; }
.sw.p-x { background: #2e7d32; } .sw.p-wx { background: #e53935; } .sw.cut { background: #d0d0d0; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 5px; vertical-align: middle; margin-right: 4px; }
.dot.k-map { background: #1565c0; } .dot.k-prot { background: #6a1b9a; } .dot.k-unmap { background: #455a64; } .dot.k-bytes { background: #ff8f00; }
.dot.k-load { background: #00838f; } .dot.k-proc { background: #8d6e63; } .dot.smp { background: #212121; border-radius: 0; }
.dot.f-high { background: #e53935; border-radius: 0; }
#detail { position: fixed; right: 16px; bottom: 16px; width: 460px; max-height: 60vh; overflow: auto; background: #fff;
  border: 1px solid #90a4ae; box-shadow: 0 2px 12px rgba(0,0,0,.2); padding: 8px 12px; font-size: 12.5px; }
#detail h4 { margin: 2px 0 6px; font-size: 13px; }
#detail dl { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 0; }
#detail dt { color: var(--muted); }
#detail dd { margin: 0; word-break: break-all; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#detail button { float: right; }
`;

export const SCRIPT = `
(function () {
  'use strict';
  var dataEl = document.getElementById('lt-data');
  var data = dataEl ? JSON.parse(dataEl.textContent) : { markers: [] };
  var shown = document.querySelectorAll('[data-js]');
  for (var i = 0; i < shown.length; i++) shown[i].hidden = false;

  var table = document.getElementById('findings-table');
  if (table) {
    var body = table.tBodies[0];
    var rule = document.getElementById('filter-rule');
    var proc = document.getElementById('filter-process');
    var count = document.getElementById('filter-count');
    var filter = function () {
      var n = 0;
      for (var r = 0; r < body.rows.length; r++) {
        var row = body.rows[r];
        var ok = (!rule.value || row.getAttribute('data-rule') === rule.value) && (!proc.value || row.getAttribute('data-pid') === proc.value);
        row.hidden = !ok;
        if (ok) n++;
      }
      count.textContent = n + ' shown';
    };
    rule.addEventListener('change', filter);
    proc.addEventListener('change', filter);
    var dir = {};
    var buttons = table.querySelectorAll('th button[data-sort]');
    for (var b = 0; b < buttons.length; b++) {
      buttons[b].addEventListener('click', function (ev) {
        var key = ev.currentTarget.getAttribute('data-sort');
        var numeric = key !== 'rule';
        dir[key] = dir[key] === 1 ? -1 : 1;
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (x, y) {
          var a = x.getAttribute('data-' + key), c = y.getAttribute('data-' + key);
          var d = numeric ? Number(a) - Number(c) : (a < c ? -1 : a > c ? 1 : 0);
          return d * dir[key] || Number(x.getAttribute('data-order')) - Number(y.getAttribute('data-order'));
        });
        for (var k = 0; k < rows.length; k++) body.appendChild(rows[k]);
      });
    }
  }

  var panel = document.getElementById('detail');
  var show = function (m) {
    var d = data.markers[m];
    if (!d || !panel) return;
    var content = document.getElementById('detail-content');
    while (content.firstChild) content.removeChild(content.firstChild);
    var h = document.createElement('h4');
    h.textContent = d.h;
    content.appendChild(h);
    var dl = document.createElement('dl');
    for (var i = 0; i < d.f.length; i++) {
      var dt = document.createElement('dt');
      dt.textContent = d.f[i][0];
      var dd = document.createElement('dd');
      dd.textContent = d.f[i][1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    }
    content.appendChild(dl);
    if (d.s && d.s.length) {
      var pre = document.createElement('pre');
      pre.textContent = 'stack:\\n  ' + d.s.join('\\n  ');
      content.appendChild(pre);
    }
    panel.hidden = false;
  };
  document.addEventListener('click', function (ev) {
    var t = ev.target;
    while (t && t !== document && !(t.getAttribute && t.getAttribute('data-m') !== null)) t = t.parentNode;
    if (t && t !== document) show(Number(t.getAttribute('data-m')));
  });
  document.addEventListener('keydown', function (ev) {
    var t = ev.target;
    if (ev.key === 'Enter' && t && t.getAttribute && t.getAttribute('data-m') !== null) show(Number(t.getAttribute('data-m')));
    if (ev.key === 'Escape' && panel) panel.hidden = true;
  });
  var close = document.getElementById('detail-close');
  if (close) close.addEventListener('click', function () { panel.hidden = true; });
})();
`;
