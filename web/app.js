/* app.js: all behaviour of the spate dashboard. Owns the session and login flow, hash routing,
   polling of /v1/stats, the four pages (streams, stream, record browser, server), their charts
   (Chart.js, global `Chart`), the stream actions sent through /v1/kinesis and the live record feed
   over the /v1/subscribe WebSocket. Server-provided text is only ever inserted as text nodes. */
'use strict';

const POLL_INTERVAL_MS = 1000;
const REQUEST_TIMEOUT_MS = 10000;
const SESSION_RETRY_MS = 2000;
const RECORDS_PAGE_LIMIT = 50;
const GET_RECORDS_MAX_CALLS = 5;
const READ_CONCURRENCY = 4;
const LIVE_MAX_ROWS = 2000;
const HEX_PREVIEW_BYTES = 256;
const TEXT_PREVIEW_CHARS = 4000;
const SHARD_LEGEND_MAX = 16;
const HASH_KEY_SPACE = 2n ** 128n;
const CHART_WINDOW_POINTS = 900;
/* The per-shard graph's series: /v1/stats?stream=NAME&shard_history=<value> sends one of them. */
const SHARD_SERIES = [
  { value: 'records_in', text: 'Incoming records/s', bytes: false },
  { value: 'records_out', text: 'Outgoing records/s', bytes: false },
  { value: 'bytes_in', text: 'Incoming bytes/s', bytes: true },
  { value: 'bytes_out', text: 'Outgoing bytes/s', bytes: true },
];  // graphs always span 15 minutes; a young series starts at the right
const SVG_NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04',
  '#db2777', '#4b5563', '#65a30d'];
const START_TYPES = ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER',
  'AT_TIMESTAMP'];

const session = { loaded: false, mode: 'on', auth: 'none', authenticated: true, csrf: '', version: '' };
let currentView = null;
window.spateDashboard = { charts: {} };

/* ---------- DOM helpers ---------- */

function applyProps(node, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  applyProps(node, attrs);
  node.append(...children);
  return node;
}

function tableWrap(table) {
  return el('div', { class: 'table-wrap' }, table);
}

function headerRow(columns) {
  return el('thead', {}, el('tr', {}, columns.map(([label, numeric]) =>
    el('th', { class: numeric ? 'num' : null, text: label }))));
}

function setText(node, text, title) {
  node.textContent = text;
  if (title === undefined) node.removeAttribute('title');
  else node.title = title;
}

function showResult(node, kind, text) {
  node.textContent = text;
  node.classList.toggle('error', kind === 'error');
  node.classList.toggle('ok', kind === 'ok');
}

const optionKeys = new WeakMap();

/* Replaces a select's options only when they changed, keeping the chosen value if still offered. */
function setOptions(select, options) {
  const key = JSON.stringify(options);
  if (optionKeys.get(select) === key) return;
  optionKeys.set(select, key);
  const previous = select.value;
  select.replaceChildren(...options.map(({ value, text, disabled }) =>
    el('option', { value, text, disabled })));
  if (options.some((option) => option.value === previous)) select.value = previous;
}

/* Keeps one <tr> per key in tbody, in the order of items, reusing rows across polls. */
function syncKeyedRows(tbody, rowMap, items, keyOf, createEntry, updateEntry) {
  const seen = new Set();
  items.forEach((item, index) => {
    const key = keyOf(item);
    seen.add(key);
    let entry = rowMap.get(key);
    if (!entry) {
      entry = createEntry(item);
      rowMap.set(key, entry);
    }
    if (tbody.children[index] !== entry.row) tbody.insertBefore(entry.row, tbody.children[index] ?? null);
    updateEntry(entry, item);
  });
  for (const [key, entry] of rowMap) {
    if (!seen.has(key)) {
      entry.row.remove();
      rowMap.delete(key);
    }
  }
}

/* ---------- formatting ---------- */

function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

function trimZeros(text) {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function formatCount(value) {
  if (!isNumber(value)) return '—';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${trimZeros((value / 1e9).toFixed(1))}G`;
  if (magnitude >= 1e6) return `${trimZeros((value / 1e6).toFixed(1))}M`;
  if (magnitude >= 1e3) return `${trimZeros((value / 1e3).toFixed(1))}k`;
  return trimZeros(value.toFixed(magnitude >= 100 ? 0 : 1));
}

function formatBytes(value) {
  if (!isNumber(value)) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1000 && unit < units.length - 1) {
    scaled /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? Math.round(scaled) : trimZeros(scaled.toFixed(1))} ${units[unit]}`;
}

function formatByteRate(value) {
  return isNumber(value) ? `${formatBytes(value)}/s` : '—';
}

function formatDuration(ms) {
  if (!isNumber(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${trimZeros(seconds.toFixed(1))} s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
  if (whole < 86400) return `${Math.floor(whole / 3600)}h ${Math.floor((whole % 3600) / 60)}m`;
  return `${Math.floor(whole / 86400)}d ${Math.floor((whole % 86400) / 3600)}h`;
}

function formatTime(ms) {
  if (!isNumber(ms)) return '—';
  const date = new Date(ms);
  const pad = (number, width = 2) => String(number).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    `${pad(date.getMilliseconds(), 3)}`;
}

/* A plain machine-readable number (for cells tests and people read as numbers). */
function plainNumber(value) {
  return isNumber(value) ? String(Math.round(value * 100) / 100) : '—';
}

function abbreviateKey(digits) {
  const text = String(digits);
  return text.length <= 8 ? text : `${text[0]}.${text.slice(1, 3)}e${text.length - 1}`;
}

function shortShardId(id) {
  return String(id).replace(/^shardId-/, '');
}

function statusClass(status) {
  return `badge status-${String(status).toLowerCase().replace(/[^a-z]/g, '')}`;
}

function modeLabel(mode) {
  return mode === 'ON_DEMAND' ? 'on-demand' : 'provisioned';
}

/* ---------- network ---------- */

class NetworkError extends Error {}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function errorText(result) {
  const body = result.data && typeof result.data === 'object' ? result.data : {};
  const type = body.__type ?? `HTTP ${result.status}`;
  const message = body.message ?? body.Message;
  return message ? `${type}: ${message}` : type;
}

async function request(method, url, { body, headers = {} } = {}) {
  const init = {
    method,
    headers: { ...headers },
    credentials: 'same-origin',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (method === 'POST' && !init.headers['X-Spate-Csrf']) init.headers['X-Spate-Csrf'] = session.csrf;
  let response;
  let text;
  try {
    response = await fetch(url, init);
    text = await response.text();
  } catch (error) {
    setStatusLine('server unreachable, retrying');
    throw new NetworkError(`server unreachable (${error.message})`);
  }
  setStatusLine(null);
  if (response.status === 401 && url !== '/v1/login') requireLogin();
  return { status: response.status, ok: response.ok, data: parseJson(text) };
}

function getJson(url) {
  return request('GET', url);
}

function kinesis(action, body) {
  return request('POST', '/v1/kinesis', {
    body,
    headers: {
      'X-Amz-Target': `Kinesis_20131202.${action}`,
      'Content-Type': 'application/x-amz-json-1.1',
    },
  });
}

function setStatusLine(text) {
  const line = document.getElementById('conn-status');
  line.textContent = text ?? '';
  line.hidden = !text;
}

function reportError(error) {
  if (error instanceof NetworkError) return;
  console.error(error);
  setStatusLine(`dashboard error: ${error.message}`);
}

/* Runs one Kinesis call for a control and reports the outcome in that control's result area. */
async function runAction({ button, resultNode, action, body, success, onDone }) {
  button.disabled = true;
  showResult(resultNode, 'pending', `${action}…`);
  try {
    const result = await kinesis(action, body);
    if (result.ok) showResult(resultNode, 'ok', success);
    else showResult(resultNode, 'error', errorText(result));
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    showResult(resultNode, 'error', 'server unreachable');
  } finally {
    button.disabled = false;
    onDone();
  }
}

async function mapLimit(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/* ---------- polling ---------- */

/* Calls task about once a second while the page is visible; never overlaps two runs. */
class Poller {
  constructor(task) {
    this.task = task;
    this.timer = null;
    this.running = false;
    this.rerun = false;
    this.stopped = false;
    this.onVisibility = () => {
      if (document.visibilityState === 'visible') this.now();
      else clearTimeout(this.timer);
    };
  }

  start() {
    document.addEventListener('visibilitychange', this.onVisibility);
    this.run();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  now() {
    if (this.running) {
      this.rerun = true;
      return;
    }
    clearTimeout(this.timer);
    this.run();
  }

  async run() {
    if (this.stopped || document.visibilityState !== 'visible') return;
    this.running = true;
    try {
      await this.task();
    } catch (error) {
      reportError(error);
    }
    this.running = false;
    if (this.stopped) return;
    if (this.rerun) {
      this.rerun = false;
      this.run();
    } else if (document.visibilityState === 'visible') {
      this.timer = setTimeout(() => this.run(), POLL_INTERVAL_MS);
    }
  }
}

/* ---------- charts ---------- */

const labelCache = new Map();

function secondsAgoLabels(length, intervalMs) {
  const key = `${length}/${intervalMs}`;
  if (!labelCache.has(key)) {
    labelCache.set(key, Array.from({ length }, (_, index) =>
      `${-Math.round(((length - 1 - index) * intervalMs) / 1000)}s`));
  }
  return labelCache.get(key);
}

/* Right-aligns series ({values, end_ms}) on a common end time, padding with nulls to at least
   minLength points. */
function alignSeries(series, intervalMs, minLength = 0) {
  const normalized = series.map((item) => ({
    values: Array.isArray(item.values) ? item.values : [],
    end: isNumber(item.end_ms) ? item.end_ms : null,
  }));
  const ends = normalized.map((item) => item.end).filter((end) => end !== null);
  const latestEnd = ends.length ? Math.max(...ends) : null;
  const lags = normalized.map((item) => (item.end === null || latestEnd === null ? 0
    : Math.max(0, Math.round((latestEnd - item.end) / intervalMs))));
  const length = Math.max(minLength,
    ...normalized.map((item, index) => item.values.length + lags[index]));
  const arrays = normalized.map((item, index) => [
    ...new Array(length - item.values.length - lags[index]).fill(null),
    ...item.values,
    ...new Array(lags[index]).fill(null),
  ]);
  return { length, arrays };
}

function datasetStyle(label, color, dashed) {
  return {
    label,
    data: [],
    borderColor: color,
    backgroundColor: color,
    borderWidth: 1.5,
    borderDash: dashed ? [5, 3] : [],
    pointRadius: 0,
    pointHitRadius: 4,
    tension: 0,
    spanGaps: false,
  };
}

function createLineChart(canvas, datasets, formatValue) {
  const chart = new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { ticks: { maxTicksLimit: 7, maxRotation: 0, autoSkip: true }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { maxTicksLimit: 6, callback: (value) => formatValue(value) } },
      },
      plugins: {
        legend: { display: datasets.length !== 1, labels: { boxWidth: 12, boxHeight: 2 } },
        tooltip: {
          callbacks: { label: (item) => `${item.dataset.label}: ${formatValue(item.parsed.y)}` },
        },
      },
    },
  });
  window.spateDashboard.charts[canvas.id] = chart;
  return chart;
}

function destroyCharts(charts) {
  for (const chart of Object.values(charts)) {
    const id = chart.canvas.id;
    chart.destroy();
    if (window.spateDashboard.charts[id] === chart) delete window.spateDashboard.charts[id];
  }
}

/* Replaces the data of a chart's datasets (same order as series) and redraws without animation. */
function updateChart(chart, series, intervalMs) {
  const aligned = alignSeries(series, intervalMs, CHART_WINDOW_POINTS);
  chart.data.labels = secondsAgoLabels(aligned.length, intervalMs);
  aligned.arrays.forEach((values, index) => {
    chart.data.datasets[index].data = values;
  });
  chart.update('none');
}

function chartCard(id, title) {
  const canvas = el('canvas', { id });
  const card = el('section', { class: 'card chart-card' }, el('h3', { text: title }),
    el('div', { class: 'chart-box' }, canvas));
  return { card, canvas };
}

function formatMs(value) {
  if (!isNumber(value)) return '—';
  return `${trimZeros(value.toFixed(value < 10 ? 2 : 0))} ms`;
}

function drawSparkline(canvas, values) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 120;
  const height = canvas.clientHeight || 28;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const points = Array.isArray(values) ? values : [];
  if (points.length < 2) return;
  const peak = Math.max(1, ...points.filter(isNumber));
  const step = width / (points.length - 1);
  context.strokeStyle = PALETTE[0];
  context.lineWidth = 1.25;
  context.beginPath();
  let drawing = false;
  points.forEach((value, index) => {
    if (!isNumber(value)) {
      drawing = false;
      return;
    }
    const x = index * step;
    const y = height - 2 - (value / peak) * (height - 4);
    if (drawing) context.lineTo(x, y);
    else context.moveTo(x, y);
    drawing = true;
  });
  context.stroke();
}

/* ---------- session and login ---------- */

function updateHeader() {
  document.getElementById('version').textContent = session.version ? `v${session.version}` : '';
  document.getElementById('mode-badge').hidden = session.mode !== 'read-only';
  document.getElementById('logout').hidden = !(session.auth === 'sigv4' && session.authenticated);
}

async function loadSession() {
  let result;
  try {
    result = await getJson('/v1/session');
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    setTimeout(loadSession, SESSION_RETRY_MS);
    return;
  }
  if (!result.ok || !result.data) {
    setStatusLine(`session check failed (${errorText(result)}), retrying`);
    setTimeout(loadSession, SESSION_RETRY_MS);
    return;
  }
  const data = result.data;
  Object.assign(session, {
    loaded: true,
    mode: data.mode,
    auth: data.auth,
    authenticated: Boolean(data.authenticated),
    csrf: data.csrf ?? '',
    version: data.version ?? '',
  });
  updateHeader();
  if (session.auth === 'sigv4' && !session.authenticated) {
    requireLogin();
    return;
  }
  document.getElementById('login-view').hidden = true;
  route();
}

function requireLogin() {
  stopCurrentView();
  session.authenticated = false;
  session.csrf = '';
  updateHeader();
  const view = document.getElementById('view');
  view.replaceChildren();
  view.hidden = true;
  document.getElementById('login-view').hidden = false;
}

async function submitLogin(event) {
  event.preventDefault();
  const button = document.getElementById('login-submit');
  const errorNode = document.getElementById('login-error');
  const secretInput = document.getElementById('login-secret');
  errorNode.textContent = '';
  button.disabled = true;
  try {
    const result = await request('POST', '/v1/login', {
      body: {
        accessKeyId: document.getElementById('login-key').value.trim(),
        secretAccessKey: secretInput.value,
      },
      headers: { 'X-Spate-Csrf': 'login', 'Content-Type': 'application/json' },
    });
    if (result.ok) {
      secretInput.value = '';
      await loadSession();
    } else {
      errorNode.textContent = errorText(result);
    }
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    errorNode.textContent = 'server unreachable';
  } finally {
    button.disabled = false;
  }
}

async function logout() {
  try {
    await request('POST', '/v1/logout');
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    return;
  }
  await loadSession();
}

/* ---------- routing ---------- */

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function parseRoute(hash) {
  const path = hash.replace(/^#/, '') || '/';
  const queryStart = path.indexOf('?');
  const pathPart = queryStart < 0 ? path : path.slice(0, queryStart);
  const params = new URLSearchParams(queryStart < 0 ? '' : path.slice(queryStart + 1));
  const segments = pathPart.split('/').filter(Boolean);
  if (segments.length === 0) return { page: 'streams' };
  if (segments.length === 1 && segments[0] === 'server') return { page: 'server' };
  if (segments.length === 2 && (segments[0] === 'stream' || segments[0] === 'records')) {
    const stream = safeDecode(segments[1]);
    if (stream) return { page: segments[0], stream, shard: params.get('shard') };
  }
  return { page: 'missing' };
}

function streamHref(name) {
  return `#/stream/${encodeURIComponent(name)}`;
}

function recordsHref(name) {
  return `#/records/${encodeURIComponent(name)}`;
}

function stopCurrentView() {
  if (currentView) currentView.stop();
  currentView = null;
}

function createView(target) {
  switch (target.page) {
    case 'streams': return new StreamsView();
    case 'stream': return new StreamView(target.stream);
    case 'records': return new RecordsView(target.stream, target.shard);
    case 'server': return new ServerView();
    default: return new MissingView();
  }
}

function route() {
  if (!session.loaded || (session.auth === 'sigv4' && !session.authenticated)) return;
  stopCurrentView();
  const target = parseRoute(location.hash);
  document.getElementById('nav-streams').classList.toggle('active',
    ['streams', 'stream', 'records'].includes(target.page));
  document.getElementById('nav-server').classList.toggle('active', target.page === 'server');
  const view = document.getElementById('view');
  view.replaceChildren();
  view.hidden = false;
  currentView = createView(target);
  currentView.start(view);
}

/* extra: an optional node kept on the page, e.g. the result of the delete that led here. */
function renderNotFound(root, name, message, extra = null) {
  root.replaceChildren(el('section', { class: 'card empty-page' },
    el('h1', { text: 'Stream not found' }),
    el('p', { text: `The stream "${name}" was not found (stream not found).` }),
    message ? el('p', { class: 'muted', text: message }) : null,
    extra,
    el('a', { href: '#/', text: '← Back to all streams' })));
}

class MissingView {
  start(root) {
    document.title = 'spate · not found';
    root.append(el('section', { class: 'card empty-page' }, el('h1', { text: 'Page not found' }),
      el('a', { href: '#/', text: '← Back to all streams' })));
  }

  stop() {}
}

/* ---------- streams page ---------- */

class StreamsView {
  constructor() {
    this.stopped = false;
    this.rows = new Map();
    this.poller = new Poller(() => this.refresh());
  }

  start(root) {
    document.title = 'spate · streams';
    this.tbody = el('tbody');
    this.table = el('table', { id: 'streams-table', class: 'data-table', hidden: true },
      headerRow([['Name'], ['Status'], ['Mode'], ['Shards (open/total)', true], ['Retention', true],
        ['In records/s', true], ['In bytes/s', true], ['Out records/s', true], ['Out bytes/s', true],
        ['Records in, last 60 s']]),
      this.tbody);
    this.empty = el('p', { class: 'empty', text: 'Loading…' });
    this.error = el('p', { class: 'action-result error' });
    root.append(el('h1', { text: 'Streams' }),
      el('section', { class: 'card' }, this.error, this.empty, tableWrap(this.table)),
      session.mode === 'read-only'
        ? el('p', { class: 'muted', text: 'This dashboard is read-only: streams cannot be created here.' })
        : this.buildCreateForm());
    this.poller.start();
  }

  stop() {
    this.stopped = true;
    this.poller.stop();
  }

  buildCreateForm() {
    const name = el('input', { id: 'create-name', type: 'text', placeholder: 'my-stream', spellcheck: 'false' });
    const mode = el('select', { id: 'create-mode' },
      el('option', { value: 'PROVISIONED', text: 'Provisioned' }),
      el('option', { value: 'ON_DEMAND', text: 'On-demand' }));
    const shards = el('input', { id: 'create-shards', type: 'number', min: '1', step: '1', value: '1' });
    const shardsField = el('label', { class: 'field' }, 'Shards', shards);
    const submit = el('button', { id: 'create-submit', type: 'submit', text: 'Create stream' });
    const result = el('div', { id: 'create-result', class: 'action-result', role: 'status' });
    mode.addEventListener('change', () => {
      shardsField.hidden = mode.value === 'ON_DEMAND';
    });
    const form = el('form', { id: 'create-form', class: 'card action-form', novalidate: true },
      el('h2', { text: 'Create stream' }),
      el('div', { class: 'form-row' },
        el('label', { class: 'field' }, 'Name', name),
        el('label', { class: 'field' }, 'Capacity mode', mode),
        shardsField, submit),
      result);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const streamName = name.value.trim();
      const body = { StreamName: streamName };
      if (mode.value === 'ON_DEMAND') {
        body.StreamModeDetails = { StreamMode: 'ON_DEMAND' };
      } else {
        const count = Number(shards.value);
        if (!Number.isInteger(count)) {
          showResult(result, 'error', 'The shard count must be a whole number.');
          return;
        }
        body.ShardCount = count;
      }
      runAction({
        button: submit,
        resultNode: result,
        action: 'CreateStream',
        body,
        success: `Creating stream "${streamName}".`,
        onDone: () => this.poller.now(),
      });
    });
    return form;
  }

  async refresh() {
    const result = await getJson('/v1/stats');
    if (this.stopped || result.status === 401) return;
    if (!result.ok || !result.data) {
      showResult(this.error, 'error', `Could not load streams: ${errorText(result)}`);
      return;
    }
    showResult(this.error, 'none', '');
    const streams = Array.isArray(result.data.streams) ? result.data.streams : [];
    this.empty.textContent = 'No streams yet';
    this.empty.hidden = streams.length > 0;
    this.table.hidden = streams.length === 0;
    syncKeyedRows(this.tbody, this.rows, streams, (stream) => stream.name,
      (stream) => this.createRow(stream), (entry, stream) => this.updateRow(entry, stream));
  }

  createRow(stream) {
    const cell = (numeric) => el('td', { class: numeric ? 'num' : null });
    const cells = {
      status: cell(), mode: cell(), shards: cell(true), retention: cell(true),
      inRecords: cell(true), inBytes: cell(true), outRecords: cell(true), outBytes: cell(true),
    };
    const canvas = el('canvas', { class: 'sparkline', width: '120', height: '28' });
    const row = el('tr', { dataset: { stream: stream.name } },
      el('td', {}, el('a', { href: streamHref(stream.name), text: stream.name })),
      cells.status, cells.mode, cells.shards, cells.retention, cells.inRecords, cells.inBytes,
      cells.outRecords, cells.outBytes, el('td', { class: 'spark-cell' }, canvas));
    return { row, cells, canvas };
  }

  updateRow({ cells, canvas }, stream) {
    cells.status.replaceChildren(el('span', { class: statusClass(stream.status), text: stream.status }));
    setText(cells.mode, modeLabel(stream.mode));
    setText(cells.shards, `${stream.open_shards ?? '—'} / ${stream.shards ?? '—'}`);
    setText(cells.retention, isNumber(stream.retention_hours) ? `${stream.retention_hours} h` : '—');
    setText(cells.inRecords, formatCount(stream.in?.records_per_s));
    setText(cells.inBytes, formatByteRate(stream.in?.bytes_per_s));
    setText(cells.outRecords, formatCount(stream.out?.records_per_s));
    setText(cells.outBytes, formatByteRate(stream.out?.bytes_per_s));
    drawSparkline(canvas, stream.spark?.records_in);
  }
}

/* ---------- stream page ---------- */

function shardBigRange(shard) {
  try {
    return { start: BigInt(shard.hash_range.start), end: BigInt(shard.hash_range.end) };
  } catch {
    return null;
  }
}

function adjacentPartner(shard, shards) {
  const range = shardBigRange(shard);
  if (!range) return null;
  return shards.find((other) => {
    const otherRange = other.open ? shardBigRange(other) : null;
    return otherRange !== null && otherRange.start === range.end + 1n;
  }) ?? null;
}

/* Lays shards out as generations (roots on top); x follows the hash range, boxes never overlap. */
function buildLineage(shards) {
  const box = { width: 128, height: 40, gap: 16, rowGap: 36, pad: 12 };
  const byId = new Map(shards.map((shard) => [shard.id, shard]));
  const depth = new Map();
  const depthOf = (shard, visiting) => {
    if (depth.has(shard.id)) return depth.get(shard.id);
    visiting.add(shard.id);
    const parents = (shard.parents ?? []).map((id) => byId.get(id))
      .filter((parent) => parent && !visiting.has(parent.id));
    const value = parents.length ? 1 + Math.max(...parents.map((parent) => depthOf(parent, visiting))) : 0;
    visiting.delete(shard.id);
    depth.set(shard.id, value);
    return value;
  };
  shards.forEach((shard) => depthOf(shard, new Set()));

  const rows = [];
  for (const shard of shards) {
    const row = depth.get(shard.id);
    (rows[row] ??= []).push(shard);
  }
  const columns = Math.max(4, ...rows.map((row) => row.length));
  const width = box.pad * 2 + columns * box.width + (columns - 1) * box.gap;
  const position = new Map();
  rows.forEach((row, rowIndex) => {
    const midpoints = row.map((shard) => {
      const range = shardBigRange(shard);
      return range ? Number(((range.start + range.end) / 2n) * 10000n / HASH_KEY_SPACE) / 10000 : 0.5;
    });
    const order = row.map((shard, index) => ({ shard, mid: midpoints[index] }))
      .sort((a, b) => a.mid - b.mid || a.shard.id.localeCompare(b.shard.id));
    const xs = order.map(({ mid }) => box.pad + mid * (width - 2 * box.pad) - box.width / 2);
    for (let i = 0; i < xs.length; i += 1) {
      const minimum = i === 0 ? box.pad : xs[i - 1] + box.width + box.gap;
      xs[i] = Math.max(xs[i], minimum);
    }
    for (let i = xs.length - 1; i >= 0; i -= 1) {
      const maximum = i === xs.length - 1 ? width - box.pad - box.width : xs[i + 1] - box.gap - box.width;
      xs[i] = Math.min(xs[i], maximum);
    }
    order.forEach(({ shard }, index) => {
      position.set(shard.id, { x: xs[index], y: box.pad + rowIndex * (box.height + box.rowGap) });
    });
  });
  const height = box.pad * 2 + rows.length * box.height + Math.max(0, rows.length - 1) * box.rowGap;

  const edges = svgEl('g', { class: 'edges' });
  const nodes = svgEl('g', { class: 'nodes' });
  for (const shard of shards) {
    const child = position.get(shard.id);
    for (const parentId of shard.parents ?? []) {
      const parent = position.get(parentId);
      if (!parent) continue;
      const x1 = parent.x + box.width / 2;
      const y1 = parent.y + box.height;
      const x2 = child.x + box.width / 2;
      const y2 = child.y;
      const bend = (y2 - y1) / 2;
      edges.append(svgEl('path', {
        class: 'edge',
        d: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`,
      }));
    }
    const state = shard.open ? 'open' : 'closed';
    const title = `${shard.id} (${state})\nhash keys ${shard.hash_range?.start} – ${shard.hash_range?.end}`;
    nodes.append(svgEl('g', {
      class: `shard-node ${state}`,
      dataset: { shard: shard.id },
      transform: `translate(${child.x},${child.y})`,
    },
    svgEl('title', { text: title }),
    svgEl('rect', { width: box.width, height: box.height, rx: 6 }),
    svgEl('text', { class: 'shard-label', x: box.width / 2, y: 17, 'text-anchor': 'middle',
      text: shortShardId(shard.id) }),
    svgEl('text', { class: 'shard-state', x: box.width / 2, y: 32, 'text-anchor': 'middle', text: state })));
  }
  return svgEl('svg', {
    id: 'lineage',
    class: 'lineage',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'Shard lineage',
  }, edges, nodes);
}

class StreamView {
  constructor(name) {
    this.name = name;
    this.stopped = false;
    this.built = false;
    this.charts = {};
    this.shardRows = new Map();
    this.topologyKey = null;
    this.shardChartKey = null;
    this.shardSeries = SHARD_SERIES[0];
    this.latest = null;
    this.poller = new Poller(() => this.refresh());
  }

  start(root) {
    document.title = `spate · ${this.name}`;
    this.root = root;
    this.notice = el('p', { class: 'muted', text: 'Loading…' });
    root.append(this.notice);
    this.poller.start();
  }

  stop() {
    this.stopped = true;
    this.poller.stop();
    destroyCharts(this.charts);
    this.charts = {};
  }

  /* The per-shard graph shows another series: fetched at once, the old lines dropped. */
  chooseShardSeries() {
    this.shardSeries = SHARD_SERIES.find((s) => s.value === this.shardSeriesSelect.value) ?? SHARD_SERIES[0];
    this.shardChartKey = null;
    this.poller.now();
  }

  async refresh() {
    const result = await getJson(`/v1/stats?stream=${encodeURIComponent(this.name)}` +
      `&shard_history=${this.shardSeries.value}`);
    if (this.stopped || result.status === 401) return;
    if (result.status === 404) {
      this.stop();
      const deleted = this.actions?.deleteResult.classList.contains('ok') ? this.actions.deleteResult : null;
      renderNotFound(this.root, this.name, errorText(result), deleted);
      return;
    }
    if (!result.ok || !result.data?.stream) {
      showResult(this.notice, 'error', `Could not load the stream: ${errorText(result)}`);
      return;
    }
    showResult(this.notice, 'none', '');
    this.notice.hidden = true;
    if (!this.built) this.build();
    this.latest = result.data;
    this.render(result.data);
  }

  build() {
    this.built = true;
    this.title = el('h1', { id: 'stream-title', text: this.name });
    this.statusBadge = el('span');
    this.meta = el('dl', { class: 'meta' });
    const records = chartCard('chart-records', 'Records/s (all shards)');
    const bytes = chartCard('chart-bytes', 'Bytes/s (all shards)');
    const perShard = chartCard('chart-shards', 'Per shard');
    this.shardSeriesSelect = el('select', { id: 'shard-series', 'aria-label': 'Per-shard series',
      onchange: () => this.chooseShardSeries() });
    setOptions(this.shardSeriesSelect, SHARD_SERIES.map(({ value, text }) => ({ value, text })));
    perShard.card.querySelector('h3').append(' ', this.shardSeriesSelect);
    const latency = chartCard('chart-latency', 'Put/Get latency p50/p99 (ms, server-wide)');
    this.throttledCard = chartCard('chart-throttled', 'Throttled records/s (refused by write limits)');
    this.throttledCard.card.hidden = true;
    this.chartGrid = el('div', { class: 'chart-grid' },
      records.card, bytes.card, perShard.card, latency.card, this.throttledCard.card);

    this.shardBody = el('tbody');
    const shardTable = el('table', { id: 'shard-table', class: 'data-table' },
      headerRow([['Shard'], ['Hash key range'], ['State'], ['Parents'], ['In records/s', true],
        ['In bytes/s', true], ['Out records/s', true], ['Out bytes/s', true], ['Records stored', true],
        ['Oldest record', true], ['GetRecords iterator age', true]]),
      this.shardBody);
    this.lineageWrap = el('div', { class: 'lineage-wrap' });
    this.consumersBox = el('div');
    this.websocketBox = el('div');
    this.getRecordsBox = el('div');

    this.root.append(
      el('section', { class: 'page-head' },
        el('div', { class: 'title-row' }, this.title, this.statusBadge,
          el('a', { id: 'records-link', class: 'button-link', href: recordsHref(this.name),
            text: 'Browse records →' })),
        this.meta),
      this.chartGrid,
      el('section', { class: 'card' }, el('h2', { text: 'Shards' }), tableWrap(shardTable)),
      el('section', { class: 'card' }, el('h2', { text: 'Shard lineage' }), this.lineageWrap),
      el('section', { class: 'card' }, el('h2', { text: 'Readers' }),
        el('h3', { text: 'Enhanced fan-out consumers' }), this.consumersBox,
        el('h3', { text: 'WebSocket subscribers' }), this.websocketBox,
        el('h3', { text: 'GetRecords readers' }), this.getRecordsBox),
      session.mode === 'read-only' ? null : this.buildActions());

    this.charts['chart-records'] = createLineChart(records.canvas,
      [datasetStyle('incoming', PALETTE[0]), datasetStyle('outgoing', PALETTE[1])], formatCount);
    this.charts['chart-bytes'] = createLineChart(bytes.canvas,
      [datasetStyle('incoming', PALETTE[0]), datasetStyle('outgoing', PALETTE[1])], formatByteRate);
    this.charts['chart-shards'] = createLineChart(perShard.canvas, [],
      (value) => (this.shardSeries.bytes ? formatByteRate(value) : formatCount(value)));
    this.charts['chart-latency'] = createLineChart(latency.canvas, [
      datasetStyle('put p50', PALETTE[0]), datasetStyle('put p99', PALETTE[0], true),
      datasetStyle('get p50', PALETTE[3]), datasetStyle('get p99', PALETTE[3], true)], formatMs);
  }

  render(data) {
    const stream = data.stream;
    const interval = isNumber(data.interval_ms) && data.interval_ms > 0 ? data.interval_ms : POLL_INTERVAL_MS;
    const shards = Array.isArray(data.shards) ? data.shards : [];
    this.renderHeader(stream, data.now);
    this.renderCharts(stream, data.latency ?? {}, shards, interval);
    syncKeyedRows(this.shardBody, this.shardRows, shards, (shard) => shard.id,
      (shard) => this.createShardRow(shard), (entry, shard) => this.updateShardRow(entry, shard));
    this.renderLineage(shards);
    this.renderReaders(data.readers ?? {}, data.now);
    if (this.actions) this.updateActions(stream, shards);
  }

  renderHeader(stream, now) {
    setText(this.title, stream.name);
    this.statusBadge.className = statusClass(stream.status);
    this.statusBadge.textContent = stream.status;
    const items = [
      ['Mode', modeLabel(stream.mode)],
      ['Shards', `${stream.open_shards ?? '—'} open / ${stream.shards ?? '—'} total`],
      ['Retention', isNumber(stream.retention_hours) ? `${stream.retention_hours} hours` : '—'],
      ['In now', `${formatCount(stream.in?.records_per_s)} records/s · ${formatByteRate(stream.in?.bytes_per_s)}`],
      ['Out now', `${formatCount(stream.out?.records_per_s)} records/s · ${formatByteRate(stream.out?.bytes_per_s)}`],
      ['Created', isNumber(stream.created_ms)
        ? `${formatTime(stream.created_ms)} (${formatDuration(now - stream.created_ms)} ago)` : '—'],
      ['ARN', stream.arn ?? '—'],
    ];
    this.meta.replaceChildren(...items.map(([term, value]) =>
      el('div', { class: 'meta-item' }, el('dt', { text: term }),
        el('dd', { class: term === 'ARN' ? 'arn' : null, text: value }))));
  }

  renderCharts(stream, latency, shards, interval) {
    const history = stream.history ?? {};
    const series = (key) => ({ values: history[key], end_ms: history.end_ms });
    updateChart(this.charts['chart-records'], [series('records_in'), series('records_out')], interval);
    updateChart(this.charts['chart-bytes'], [series('bytes_in'), series('bytes_out')], interval);
    const latencySeries = (family, quantile) => ({ values: latency[family]?.[quantile], end_ms: latency.end_ms });
    updateChart(this.charts['chart-latency'], [latencySeries('put', 'p50'), latencySeries('put', 'p99'),
      latencySeries('get', 'p50'), latencySeries('get', 'p99')], interval);

    const shardChart = this.charts['chart-shards'];
    const key = this.shardSeries.value;
    const withHistory = shards.filter((shard) => Array.isArray(shard.history?.[key]));
    const shardKey = withHistory.map((shard) => shard.id).join(',');
    if (this.shardChartKey !== shardKey) {
      this.shardChartKey = shardKey;
      shardChart.data.datasets = withHistory.map((shard) => datasetStyle(shard.id, shardColor(shard.id)));
      shardChart.options.plugins.legend.display = withHistory.length <= SHARD_LEGEND_MAX;
    }
    updateChart(shardChart, withHistory.map((shard) =>
      ({ values: shard.history[key], end_ms: shard.history.end_ms })), interval);

    this.throttledCard.card.hidden = !stream.throttling;
    if (stream.throttling) {
      this.charts['chart-throttled'] ??= createLineChart(this.throttledCard.canvas,
        [datasetStyle('throttled', PALETTE[2])], formatCount);
      updateChart(this.charts['chart-throttled'], [series('throttled')], interval);
    }
  }

  createShardRow(shard) {
    const cell = (className) => el('td', { class: className });
    const cells = {
      range: cell('mono'), state: cell(), parents: cell('mono'),
      inRecords: cell('num records-in'), inBytes: cell('num'), outRecords: cell('num records-out'),
      outBytes: cell('num'), stored: cell('num records-stored'), oldest: cell('num'), iterator: cell('num'),
    };
    const row = el('tr', { dataset: { shard: shard.id } }, el('td', { class: 'mono', text: shard.id }),
      cells.range, cells.state, cells.parents, cells.inRecords, cells.inBytes, cells.outRecords,
      cells.outBytes, cells.stored, cells.oldest, cells.iterator);
    return { row, cells };
  }

  updateShardRow({ row, cells }, shard) {
    const start = shard.hash_range?.start ?? '?';
    const end = shard.hash_range?.end ?? '?';
    row.classList.toggle('closed-row', !shard.open);
    setText(cells.range, `${abbreviateKey(start)} – ${abbreviateKey(end)}`, `${start} – ${end}`);
    cells.state.replaceChildren(el('span', { class: shard.open ? 'badge status-active' : 'badge',
      text: shard.open ? 'open' : 'closed' }));
    const parents = shard.parents ?? [];
    setText(cells.parents, parents.length ? parents.map(shortShardId).join(', ') : '—',
      parents.length ? parents.join(', ') : undefined);
    setText(cells.inRecords, plainNumber(shard.in?.records_per_s));
    setText(cells.inBytes, formatByteRate(shard.in?.bytes_per_s));
    setText(cells.outRecords, plainNumber(shard.out?.records_per_s));
    setText(cells.outBytes, formatByteRate(shard.out?.bytes_per_s));
    setText(cells.stored, isNumber(shard.records) ? String(shard.records) : '—');
    setText(cells.oldest, formatDuration(shard.oldest_age_ms));
    setText(cells.iterator, formatDuration(shard.iterator_age_ms));
  }

  renderLineage(shards) {
    const key = shards.map((shard) => `${shard.id}:${shard.open}:${(shard.parents ?? []).join('+')}`).join('|');
    if (key === this.topologyKey) return;
    this.topologyKey = key;
    this.lineageWrap.replaceChildren(shards.length ? buildLineage(shards)
      : el('p', { class: 'empty', text: 'No shards.' }));
  }

  renderReaders(readers, now) {
    const since = (ms) => (isNumber(ms) && isNumber(now) ? `${formatDuration(now - ms)} ago` : '—');
    const consumers = Array.isArray(readers.consumers) ? readers.consumers : [];
    this.consumersBox.replaceChildren(consumers.length === 0
      ? el('p', { class: 'empty', text: 'No enhanced fan-out consumers.' })
      : tableWrap(el('table', { id: 'consumers-table', class: 'data-table' },
        headerRow([['Consumer'], ['Status'], ['Registered'], ['Subscriptions (shard: behind latest)']]),
        el('tbody', {}, consumers.map((consumer) => {
          const subscriptions = Array.isArray(consumer.subscriptions) ? consumer.subscriptions : [];
          return el('tr', {},
            el('td', { text: consumer.name, title: consumer.arn ?? null }),
            el('td', {}, el('span', { class: statusClass(consumer.status), text: consumer.status })),
            el('td', { text: since(consumer.created_ms) }),
            el('td', {}, subscriptions.length === 0
              ? el('span', { class: 'muted', text: 'no active subscriptions' })
              : el('ul', { class: 'plain-list' }, subscriptions.map((subscription) => el('li', {
                text: `${shortShardId(subscription.shard)}: ${formatDuration(subscription.millis_behind)} behind, ` +
                  `subscribed ${since(subscription.since_ms)}`,
              })))));
        })))));

    const sockets = Array.isArray(readers.websocket) ? readers.websocket : [];
    this.websocketBox.replaceChildren(sockets.length === 0
      ? el('p', { class: 'empty', text: 'No WebSocket subscribers.' })
      : tableWrap(el('table', { id: 'websocket-table', class: 'data-table' },
        headerRow([['Shard'], ['Behind latest', true], ['Connected']]),
        el('tbody', {}, sockets.map((socket) => el('tr', {},
          el('td', { class: 'mono', text: socket.shard ?? 'all shards' }),
          el('td', { class: 'num', text: formatDuration(socket.millis_behind) }),
          el('td', { text: since(socket.since_ms) })))))));

    const pollers = Array.isArray(readers.get_records) ? readers.get_records : [];
    this.getRecordsBox.replaceChildren(pollers.length === 0
      ? el('p', { class: 'empty', text: 'No GetRecords readers.' })
      : tableWrap(el('table', { id: 'get-records-table', class: 'data-table' },
        headerRow([['Shard'], ['Iterator age', true], ['Last read']]),
        el('tbody', {}, pollers.map((reader) => el('tr', {},
          el('td', { class: 'mono', text: reader.shard }),
          el('td', { class: 'num', text: formatDuration(reader.iterator_age_ms) }),
          el('td', { text: since(reader.last_read_ms) })))))));
  }

  buildActions() {
    const refresh = () => this.poller.now();
    const field = (label, control) => el('label', { class: 'field' }, label, control);
    const actionForm = (title, help, controls, result, onSubmit) => {
      const form = el('form', { class: 'action-form', novalidate: true },
        el('h3', { text: title }), help ? el('p', { class: 'muted small', text: help }) : null,
        el('div', { class: 'form-row' }, controls), result);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        onSubmit();
      });
      return form;
    };
    const resultArea = (id) => el('div', { id, class: 'action-result', role: 'status' });
    const actions = {
      splitShard: el('select', { id: 'split-shard' }),
      splitKey: el('input', { id: 'split-key', type: 'text', placeholder: 'midpoint', spellcheck: 'false' }),
      splitSubmit: el('button', { id: 'split-submit', type: 'submit', text: 'Split' }),
      splitResult: resultArea('split-result'),
      mergeShard: el('select', { id: 'merge-shard' }),
      mergeSubmit: el('button', { id: 'merge-submit', type: 'submit', text: 'Merge' }),
      mergeResult: resultArea('merge-result'),
      scaleCount: el('input', { id: 'scale-count', type: 'number', min: '1', step: '1' }),
      scaleSubmit: el('button', { id: 'scale-submit', type: 'submit', text: 'Scale' }),
      scaleResult: resultArea('scale-result'),
      retentionHours: el('input', { id: 'retention-hours', type: 'number', min: '1', step: '1' }),
      retentionSubmit: el('button', { id: 'retention-submit', type: 'submit', text: 'Set retention' }),
      retentionResult: resultArea('retention-result'),
      deleteConfirm: el('input', { id: 'delete-confirm', type: 'text', placeholder: this.name,
        spellcheck: 'false', autocomplete: 'off' }),
      deleteSubmit: el('button', { id: 'delete-submit', type: 'submit', class: 'danger', text: 'Delete stream',
        disabled: true }),
      deleteResult: resultArea('delete-result'),
      defaultsSet: false,
    };
    this.actions = actions;
    const syncDelete = () => {
      actions.deleteSubmit.disabled = actions.deleteConfirm.value !== this.name;
    };
    actions.deleteConfirm.addEventListener('input', syncDelete);

    return el('section', { id: 'actions', class: 'card' }, el('h2', { text: 'Actions' }),
      el('div', { class: 'action-grid' },
        actionForm('Split a shard', 'Leave the key empty to split at the midpoint of the shard\'s hash range.',
          [field('Shard', actions.splitShard), field('New starting hash key', actions.splitKey), actions.splitSubmit],
          actions.splitResult, () => this.split(refresh)),
        actionForm('Merge shards', 'Merges the shard with the open shard whose hash range follows it.',
          [field('Shard', actions.mergeShard), actions.mergeSubmit], actions.mergeResult, () => this.merge(refresh)),
        actionForm('Scale', 'Uniformly rescales to the given number of open shards.',
          [field('Target open shards', actions.scaleCount), actions.scaleSubmit], actions.scaleResult,
          () => this.scale(refresh)),
        actionForm('Retention', null,
          [field('Retention (hours)', actions.retentionHours), actions.retentionSubmit], actions.retentionResult,
          () => this.changeRetention(refresh)),
        actionForm('Delete stream', `Type "${this.name}" to confirm. This deletes all of its records.`,
          [field('Stream name', actions.deleteConfirm), actions.deleteSubmit], actions.deleteResult,
          () => this.deleteStream(() => {
            syncDelete();
            refresh();
          }))));
  }

  updateActions(stream, shards) {
    const actions = this.actions;
    const open = shards.filter((shard) => shard.open);
    setOptions(actions.splitShard, open.map((shard) => ({ value: shard.id, text: shard.id })));
    const mergeable = open.map((shard) => ({ shard, partner: adjacentPartner(shard, open) }))
      .filter(({ partner }) => partner !== null);
    setOptions(actions.mergeShard, mergeable.length
      ? mergeable.map(({ shard, partner }) => ({ value: shard.id, text: `${shard.id} + ${shortShardId(partner.id)}` }))
      : [{ value: '', text: 'no adjacent open shards', disabled: true }]);
    actions.mergeSubmit.disabled = mergeable.length === 0;
    actions.splitSubmit.disabled = open.length === 0;
    if (!actions.defaultsSet) {
      actions.defaultsSet = true;
      actions.scaleCount.value = String(stream.open_shards ?? open.length);
      actions.retentionHours.value = String(stream.retention_hours ?? 24);
    }
  }

  currentShard(id) {
    return (this.latest?.shards ?? []).find((shard) => shard.id === id) ?? null;
  }

  split(refresh) {
    const actions = this.actions;
    const shard = this.currentShard(actions.splitShard.value);
    if (!shard) {
      showResult(actions.splitResult, 'error', 'Pick an open shard to split.');
      return;
    }
    let key = actions.splitKey.value.trim();
    if (!key) {
      const range = shardBigRange(shard);
      if (!range) {
        showResult(actions.splitResult, 'error', 'The shard has no readable hash range.');
        return;
      }
      key = ((range.start + range.end) / 2n).toString();
    }
    runAction({
      button: actions.splitSubmit,
      resultNode: actions.splitResult,
      action: 'SplitShard',
      body: { StreamName: this.name, ShardToSplit: shard.id, NewStartingHashKey: key },
      success: `Splitting ${shard.id} at hash key ${key}.`,
      onDone: refresh,
    });
  }

  merge(refresh) {
    const actions = this.actions;
    const shards = this.latest?.shards ?? [];
    const shard = this.currentShard(actions.mergeShard.value);
    const partner = shard ? adjacentPartner(shard, shards.filter((other) => other.open)) : null;
    if (!shard || !partner) {
      showResult(actions.mergeResult, 'error', 'Pick an open shard that has an adjacent open shard.');
      return;
    }
    runAction({
      button: actions.mergeSubmit,
      resultNode: actions.mergeResult,
      action: 'MergeShards',
      body: { StreamName: this.name, ShardToMerge: shard.id, AdjacentShardToMerge: partner.id },
      success: `Merging ${shard.id} with ${partner.id}.`,
      onDone: refresh,
    });
  }

  scale(refresh) {
    const actions = this.actions;
    const count = Number(actions.scaleCount.value);
    if (!Number.isInteger(count)) {
      showResult(actions.scaleResult, 'error', 'The shard count must be a whole number.');
      return;
    }
    runAction({
      button: actions.scaleSubmit,
      resultNode: actions.scaleResult,
      action: 'UpdateShardCount',
      body: { StreamName: this.name, TargetShardCount: count, ScalingType: 'UNIFORM_SCALING' },
      success: `Scaling to ${count} open shards.`,
      onDone: refresh,
    });
  }

  changeRetention(refresh) {
    const actions = this.actions;
    const hours = Number(actions.retentionHours.value);
    const current = this.latest?.stream?.retention_hours;
    if (!Number.isInteger(hours)) {
      showResult(actions.retentionResult, 'error', 'The retention must be a whole number of hours.');
      return;
    }
    if (hours === current) {
      showResult(actions.retentionResult, 'ok', `The retention is already ${hours} hours.`);
      return;
    }
    runAction({
      button: actions.retentionSubmit,
      resultNode: actions.retentionResult,
      action: hours > current ? 'IncreaseStreamRetentionPeriod' : 'DecreaseStreamRetentionPeriod',
      body: { StreamName: this.name, RetentionPeriodHours: hours },
      success: `Retention set to ${hours} hours.`,
      onDone: refresh,
    });
  }

  deleteStream(onDone) {
    const actions = this.actions;
    if (actions.deleteConfirm.value !== this.name) {
      showResult(actions.deleteResult, 'error', `Type "${this.name}" to confirm.`);
      return;
    }
    runAction({
      button: actions.deleteSubmit,
      resultNode: actions.deleteResult,
      action: 'DeleteStream',
      body: { StreamName: this.name },
      success: `Deleting stream "${this.name}".`,
      onDone,
    });
  }
}

function shardColor(id) {
  const number = Number.parseInt(shortShardId(id), 10);
  return PALETTE[(Number.isFinite(number) ? number : 0) % PALETTE.length];
}

/* ---------- record browser ---------- */

function decodeUtf8(bytes) {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text) ? null : text;
  } catch {
    return null;
  }
}

function clip(text, byteLength) {
  if (text.length <= TEXT_PREVIEW_CHARS) return [text, null];
  return [`${text.slice(0, TEXT_PREVIEW_CHARS)}…`,
    `${byteLength} bytes, first ${TEXT_PREVIEW_CHARS} characters shown`];
}

function renderRecordData(base64) {
  let bytes;
  try {
    bytes = Uint8Array.from(atob(base64 ?? ''), (char) => char.charCodeAt(0));
  } catch {
    return el('span', { class: 'muted', text: '(not valid base64)' });
  }
  if (bytes.length === 0) return el('span', { class: 'muted', text: '(empty)' });
  const text = decodeUtf8(bytes);
  if (text !== null) {
    const json = parseJson(text);
    const isStructured = json !== null && typeof json === 'object';
    const [shown, note] = clip(isStructured ? JSON.stringify(json, null, 2) : text, bytes.length);
    return el('div', { class: 'data' },
      el(isStructured ? 'pre' : 'span', { class: isStructured ? 'data-json' : 'data-text', text: shown }),
      note ? el('div', { class: 'muted small', text: note }) : null);
  }
  const hex = Array.from(bytes.subarray(0, HEX_PREVIEW_BYTES), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return el('div', { class: 'data' }, el('code', { class: 'data-hex', text: hex }),
    el('div', { class: 'muted small', text: bytes.length > HEX_PREVIEW_BYTES
      ? `binary, ${bytes.length} bytes, first ${HEX_PREVIEW_BYTES} shown` : `binary, ${bytes.length} bytes` }));
}

function recordRow({ shardId, sequenceNumber, partitionKey, arrivalMs, data }) {
  return el('tr', { class: 'record-row' },
    el('td', { class: 'mono', text: shardId }),
    el('td', { class: 'mono seq', text: sequenceNumber }),
    el('td', { class: 'pkey', text: partitionKey }),
    el('td', { text: formatTime(arrivalMs), title: isNumber(arrivalMs) ? new Date(arrivalMs).toISOString() : null }),
    el('td', { class: 'data-cell' }, renderRecordData(data)));
}

function compareSequence(a, b) {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/* Returns epoch seconds for "1764800000", "1764800000000" (ms) or a date the browser can parse. */
function parseTimestampInput(text) {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const number = Number(trimmed);
    return number > 1e11 ? number / 1000 : number;
  }
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? null : ms / 1000;
}

class RecordsView {
  constructor(name, shard) {
    this.name = name;
    this.initialShard = shard;
    this.stopped = false;
    this.iterators = new Map();
    this.socket = null;
    this.liveRows = 0;
    this.liveReceived = 0;
    this.dropped = 0;
  }

  start(root) {
    document.title = `spate · records · ${this.name}`;
    this.root = root;
    this.shardSelect = el('select', { id: 'records-shard' }, el('option', { value: '', text: 'All shards' }));
    this.startSelect = el('select', { id: 'records-start' },
      START_TYPES.map((type) => el('option', { value: type, text: type })));
    this.startValue = el('input', { id: 'records-start-value', type: 'text', spellcheck: 'false', disabled: true });
    this.readButton = el('button', { id: 'records-read', type: 'submit', text: 'Read' });
    this.nextButton = el('button', { id: 'records-next', type: 'button', class: 'button-quiet', text: 'Next page',
      disabled: true });
    this.liveBox = el('input', { id: 'live', type: 'checkbox' });
    this.liveStatus = el('span', { id: 'live-status', class: 'muted', role: 'status', text: 'off' });
    this.result = el('div', { id: 'records-result', class: 'action-result', role: 'status' });
    this.droppedNote = el('p', { id: 'dropped-note', class: 'note', hidden: true });
    this.tbody = el('tbody');

    const form = el('form', { class: 'card action-form', novalidate: true },
      el('div', { class: 'form-row' },
        el('label', { class: 'field' }, 'Shard', this.shardSelect),
        el('label', { class: 'field' }, 'Start', this.startSelect),
        el('label', { class: 'field' }, 'Sequence number / timestamp', this.startValue),
        this.readButton, this.nextButton,
        el('label', { class: 'checkbox' }, this.liveBox, 'Live'), this.liveStatus),
      this.result);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.read();
    });
    this.nextButton.addEventListener('click', () => this.readNextPage());
    this.startSelect.addEventListener('change', () => this.syncStartValue());
    this.liveBox.addEventListener('change', () => (this.liveBox.checked ? this.openLive() : this.closeLive('off')));
    this.shardSelect.addEventListener('change', () => {
      if (this.socket) this.openLive();
    });

    root.append(
      el('div', { class: 'title-row' }, el('h1', { text: `Records: ${this.name}` }),
        el('a', { class: 'button-link', href: streamHref(this.name), text: '← Stream overview' })),
      form, this.droppedNote,
      el('section', { class: 'card' }, tableWrap(el('table', { id: 'records-table', class: 'data-table records' },
        headerRow([['Shard'], ['Sequence number'], ['Partition key'], ['Arrival time'], ['Data']]), this.tbody))));
    this.loadShards().catch(reportError);
  }

  stop() {
    this.stopped = true;
    this.closeLive('off');
  }

  syncStartValue() {
    const type = this.startSelect.value;
    const needsValue = type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER' || type === 'AT_TIMESTAMP';
    this.startValue.disabled = !needsValue;
    this.startValue.placeholder = type === 'AT_TIMESTAMP' ? '2025-12-03T22:00:00Z or epoch seconds'
      : needsValue ? 'sequence number' : '';
  }

  /* Fills the shard select from /v1/stats?stream=; returns every shard id (null when unavailable). */
  async loadShards() {
    const result = await getJson(`/v1/stats?stream=${encodeURIComponent(this.name)}&shard_history=none`);
    if (this.stopped || result.status === 401) return null;
    if (result.status === 404) {
      this.stop();
      renderNotFound(this.root, this.name, errorText(result));
      return null;
    }
    if (!result.ok || !result.data) {
      showResult(this.result, 'error', `Could not list shards: ${errorText(result)}`);
      return null;
    }
    const shards = Array.isArray(result.data.shards) ? result.data.shards : [];
    setOptions(this.shardSelect, [{ value: '', text: 'All shards' },
      ...shards.map((shard) => ({ value: shard.id, text: shard.open ? shard.id : `${shard.id} (closed)` }))]);
    if (this.initialShard && shards.some((shard) => shard.id === this.initialShard)) {
      this.shardSelect.value = this.initialShard;
    }
    this.initialShard = null;
    return shards.map((shard) => shard.id);
  }

  setBusy(busy) {
    this.readButton.disabled = busy || this.socket !== null;
    this.nextButton.disabled = busy || this.socket !== null ||
      ![...this.iterators.values()].some((iterator) => iterator);
  }

  iteratorRequest(shardId) {
    const type = this.startSelect.value;
    const body = { StreamName: this.name, ShardId: shardId, ShardIteratorType: type };
    const value = this.startValue.value.trim();
    if (type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER') body.StartingSequenceNumber = value;
    if (type === 'AT_TIMESTAMP') body.Timestamp = parseTimestampInput(value);
    return body;
  }

  validateStart() {
    const type = this.startSelect.value;
    const value = this.startValue.value.trim();
    if (type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER') {
      if (!value) return 'Enter a sequence number.';
      if (!this.shardSelect.value) return 'Pick a shard: sequence numbers belong to one shard.';
    }
    if (type === 'AT_TIMESTAMP' && parseTimestampInput(value) === null) {
      return 'Enter a timestamp, e.g. 2025-12-03T22:00:00Z or epoch seconds.';
    }
    return null;
  }

  async read() {
    const problem = this.validateStart();
    if (problem) {
      showResult(this.result, 'error', problem);
      return;
    }
    this.iterators = new Map();
    this.setBusy(true);
    showResult(this.result, 'pending', 'Reading…');
    try {
      const selected = this.shardSelect.value;
      const shardIds = selected ? [selected] : await this.loadShards();
      if (this.stopped || shardIds === null) return;
      const pages = await mapLimit(shardIds, READ_CONCURRENCY, async (shardId) => {
        const result = await kinesis('GetShardIterator', this.iteratorRequest(shardId));
        if (!result.ok) return { shardId, records: [], next: null, error: errorText(result) };
        return this.readShardPage(shardId, result.data?.ShardIterator ?? null);
      });
      if (!this.stopped) this.showPages(pages);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      showResult(this.result, 'error', 'server unreachable');
    } finally {
      this.setBusy(false);
    }
  }

  async readNextPage() {
    const pending = [...this.iterators].filter(([, iterator]) => iterator);
    this.setBusy(true);
    showResult(this.result, 'pending', 'Reading…');
    try {
      const pages = await mapLimit(pending, READ_CONCURRENCY,
        ([shardId, iterator]) => this.readShardPage(shardId, iterator));
      if (!this.stopped) this.showPages(pages);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      showResult(this.result, 'error', 'server unreachable');
    } finally {
      this.setBusy(false);
    }
  }

  /* GetRecords until the page is full, the shard is caught up, or a few calls were made. */
  async readShardPage(shardId, iterator) {
    const records = [];
    let next = iterator;
    let behind = null;
    for (let call = 0; call < GET_RECORDS_MAX_CALLS && next && records.length < RECORDS_PAGE_LIMIT; call += 1) {
      const result = await kinesis('GetRecords', { ShardIterator: next, Limit: RECORDS_PAGE_LIMIT - records.length });
      if (!result.ok) return { shardId, records, next: null, behind, error: errorText(result) };
      records.push(...(Array.isArray(result.data?.Records) ? result.data.Records : []));
      next = result.data?.NextShardIterator ?? null;
      behind = result.data?.MillisBehindLatest ?? null;
      if (behind === 0) break;
    }
    return { shardId, records, next, behind, error: null };
  }

  showPages(pages) {
    const rows = [];
    const errors = [];
    let behind = 0;
    for (const page of pages) {
      this.iterators.set(page.shardId, page.next);
      if (page.error) errors.push(`${page.shardId}: ${page.error}`);
      if (isNumber(page.behind)) behind = Math.max(behind, page.behind);
      for (const record of page.records) {
        rows.push({
          shardId: page.shardId,
          sequenceNumber: record.SequenceNumber,
          partitionKey: record.PartitionKey,
          arrivalMs: isNumber(record.ApproximateArrivalTimestamp) ? record.ApproximateArrivalTimestamp * 1000 : null,
          data: record.Data,
        });
      }
    }
    rows.sort((a, b) => (a.arrivalMs ?? 0) - (b.arrivalMs ?? 0) || a.shardId.localeCompare(b.shardId) ||
      compareSequence(String(a.sequenceNumber), String(b.sequenceNumber)));
    this.tbody.replaceChildren(...rows.map(recordRow));
    this.droppedNote.hidden = true;
    const ended = pages.filter((page) => !page.next && !page.error).map((page) => page.shardId);
    const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;
    const summary = [`${plural(rows.length, 'record')} from ${plural(pages.length, 'shard')}`];
    if (pages.length) summary.push(`behind latest: ${formatDuration(behind)}`);
    if (ended.length) summary.push(`end of ${ended.length === 1 ? ended[0] : `${ended.length} closed shards`}`);
    if (errors.length) showResult(this.result, 'error', [summary.join(' · '), ...errors].join('\n'));
    else showResult(this.result, 'ok', summary.join(' · '));
  }

  openLive() {
    this.closeLive('reconnecting');
    const params = new URLSearchParams({ stream: this.name });
    if (this.shardSelect.value) params.set('shard', this.shardSelect.value);
    params.set('from', 'LATEST');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/v1/subscribe?${params}`);
    this.socket = socket;
    this.liveBox.checked = true;
    this.tbody.replaceChildren();
    this.liveRows = 0;
    this.liveReceived = 0;
    this.dropped = 0;
    this.droppedNote.hidden = true;
    this.iterators = new Map();
    this.setBusy(false);
    showResult(this.result, 'none', '');
    showResult(this.liveStatus, 'none', 'connecting…');
    socket.addEventListener('open', () => {
      if (this.socket === socket) showResult(this.liveStatus, 'ok', 'live: waiting for records');
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.onLiveMessage(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.liveBox.checked = false;
      this.setBusy(false);
      const reason = event.reason ? `: ${event.reason}` : '';
      showResult(this.liveStatus, 'error', `live connection closed${reason} (code ${event.code})`);
    });
  }

  closeLive(statusText) {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    if (socket.readyState === WebSocket.CONNECTING) {
      socket.addEventListener('open', () => socket.close(1000, 'closed by the dashboard'));
    } else {
      socket.close(1000, 'closed by the dashboard');
    }
    this.liveBox.checked = false;
    showResult(this.liveStatus, 'none', statusText);
    this.setBusy(false);
  }

  onLiveMessage(payload) {
    const message = parseJson(payload);
    if (!message || typeof message !== 'object') {
      showResult(this.liveStatus, 'error', 'live: received an unreadable message');
      return;
    }
    const records = Array.isArray(message.records) ? message.records : [];
    for (const record of records) {
      this.tbody.prepend(recordRow({
        shardId: message.shardId,
        sequenceNumber: record.sequenceNumber,
        partitionKey: record.partitionKey,
        arrivalMs: record.arrival,
        data: record.data,
      }));
    }
    this.liveRows += records.length;
    this.liveReceived += records.length;
    while (this.liveRows > LIVE_MAX_ROWS) {
      this.tbody.lastElementChild.remove();
      this.liveRows -= 1;
      this.dropped += 1;
    }
    if (this.dropped > 0) {
      this.droppedNote.hidden = false;
      this.droppedNote.textContent = `dropped ${this.dropped} older rows (showing the newest ${LIVE_MAX_ROWS})`;
    }
    let status = `live: ${this.liveReceived} records received, ` +
      `${formatDuration(message.millisBehindLatest ?? 0)} behind latest`;
    if (message.endOfShard) {
      const children = Array.isArray(message.childShards)
        ? message.childShards.map((child) => (typeof child === 'string' ? child : child?.ShardId ?? child?.shardId))
          .filter(Boolean) : [];
      status += ` · ${message.shardId} ended${children.length ? `; children: ${children.join(', ')}` : ''}`;
    }
    showResult(this.liveStatus, 'ok', status);
  }
}

/* ---------- server page ---------- */

class ServerView {
  constructor() {
    this.stopped = false;
    this.charts = {};
    this.poller = new Poller(() => this.refresh());
  }

  start(root) {
    document.title = 'spate · server';
    this.info = el('dl', { id: 'server-info', class: 'info-list' });
    this.requestsBody = el('tbody');
    this.requestsEmpty = el('p', { class: 'empty', text: 'No requests in the last second.' });
    this.requestsTable = el('table', { id: 'requests-table', class: 'data-table' },
      headerRow([['Action'], ['Requests/s', true]]), this.requestsBody);
    this.error = el('p', { class: 'action-result error' });
    const requests = chartCard('chart-requests', 'Requests/s (all actions)');
    const rss = chartCard('chart-rss', 'Resident memory (RSS)');
    const commit = chartCard('chart-commit', 'Group-commit batch size (requests per round)');
    const connections = chartCard('chart-connections', 'Open connections');
    root.append(el('h1', { text: 'Server' }), this.error,
      el('div', { class: 'server-columns' },
        el('section', { class: 'card' }, el('h2', { text: 'Overview' }), this.info),
        el('section', { class: 'card' }, el('h2', { text: 'Requests/s by action (last second)' }),
          this.requestsEmpty, tableWrap(this.requestsTable))),
      el('div', { class: 'chart-grid' }, requests.card, rss.card, commit.card, connections.card));
    this.charts['chart-requests'] = createLineChart(requests.canvas, [datasetStyle('requests/s', PALETTE[0])],
      formatCount);
    this.charts['chart-rss'] = createLineChart(rss.canvas, [datasetStyle('RSS', PALETTE[3])], formatBytes);
    this.charts['chart-commit'] = createLineChart(commit.canvas, [datasetStyle('requests per commit', PALETTE[1])],
      formatCount);
    this.charts['chart-connections'] = createLineChart(connections.canvas, [datasetStyle('open', PALETTE[4])],
      formatCount);
    this.poller.start();
  }

  stop() {
    this.stopped = true;
    this.poller.stop();
    destroyCharts(this.charts);
    this.charts = {};
  }

  async refresh() {
    const result = await getJson('/v1/stats');
    if (this.stopped || result.status === 401) return;
    if (!result.ok || !result.data?.server) {
      showResult(this.error, 'error', `Could not load server statistics: ${errorText(result)}`);
      return;
    }
    showResult(this.error, 'none', '');
    const data = result.data;
    const server = data.server;
    const interval = isNumber(data.interval_ms) && data.interval_ms > 0 ? data.interval_ms : POLL_INTERVAL_MS;
    this.renderInfo(server);
    this.renderRequests(server.requests_per_s ?? {});
    const history = server.history ?? {};
    const series = (key) => [{ values: history[key], end_ms: history.end_ms }];
    updateChart(this.charts['chart-requests'], series('requests_per_s'), interval);
    updateChart(this.charts['chart-rss'], series('rss_bytes'), interval);
    updateChart(this.charts['chart-commit'], series('commit_batch'), interval);
    updateChart(this.charts['chart-connections'], series('open_connections'), interval);
  }

  renderInfo(server) {
    const disk = server.disk ?? {};
    const connections = server.connections ?? {};
    const byProtocol = Object.entries(connections.by_protocol ?? {})
      .map(([protocol, count]) => `${protocol} ${count}`).join(' · ');
    const subscribers = server.subscribers ?? {};
    const memory = server.stats_memory ?? {};
    const usedShare = isNumber(disk.used_bytes) && isNumber(disk.total_bytes) && disk.total_bytes > 0
      ? ` (${Math.round((disk.used_bytes / disk.total_bytes) * 100)}% used)` : '';
    const items = [
      ['Version', server.version ?? '—'],
      ['Uptime', isNumber(server.uptime_s) ? formatDuration(server.uptime_s * 1000) : '—'],
      ['Started', formatTime(server.started_ms)],
      ['Data directory', server.data_dir ?? '—'],
      ['Disk', `${formatBytes(disk.used_bytes)} used, ${formatBytes(disk.free_bytes)} free ` +
        `of ${formatBytes(disk.total_bytes)}${usedShare}`],
      ['Fsync policy', server.fsync ?? '—'],
      ['Auth', server.auth ?? '—'],
      ['Dashboard', server.dashboard ?? '—'],
      ['Write throttling', server.throttling ? 'on' : 'off'],
      ['Open connections', String(connections.open ?? '—')],
      ['Accepted since start', byProtocol || '—'],
      ['Subscribers', `event stream ${subscribers.event_stream ?? 0} · WebSocket ${subscribers.websocket ?? 0}`],
      ['Resident memory (RSS)', formatBytes(server.rss_bytes)],
      ['Statistics memory', `${formatBytes(memory.used_bytes)} of ${formatBytes(memory.limit_bytes)}`],
    ];
    this.info.replaceChildren(...items.map(([term, value]) =>
      el('div', { class: 'info-item' }, el('dt', { text: term }), el('dd', { text: value }))));
  }

  renderRequests(rates) {
    const entries = Object.entries(rates).filter(([, rate]) => isNumber(rate)).sort((a, b) => b[1] - a[1]);
    this.requestsEmpty.hidden = entries.length > 0;
    this.requestsTable.hidden = entries.length === 0;
    this.requestsBody.replaceChildren(...entries.map(([action, rate]) => el('tr', { dataset: { action } },
      el('td', { text: action }), el('td', { class: 'num', text: formatCount(rate) }))));
  }
}

/* ---------- start-up ---------- */

function boot() {
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#52606d';
  Chart.defaults.borderColor = '#e6e9ee';
  document.getElementById('login-form').addEventListener('submit', submitLogin);
  document.getElementById('logout').addEventListener('click', logout);
  window.addEventListener('hashchange', route);
  loadSession();
}

boot();
