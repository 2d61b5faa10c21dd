// The Cairn console: the member's own HTTP gateway (/v1/...) from a plain ES module, no build step.
// Reads go to the member that served the page; live updates come over its Server-Sent-Events
// watch, read with fetch so a bearer token can go with it when the policy is on.

const $ = (id) => document.getElementById(id);
const state = {
  dir: '/',            // the directory shown
  file: null,          // the file shown, or null
  latest: 0,           // the newest revision known
  oldest: 1,           // the oldest revision still readable
  token: sessionStorage.getItem('cairn.token') || '',
  canWrite: false,
};

function headers() {
  return state.token ? { Authorization: 'Bearer ' + state.token } : {};
}

/** A GET of the gateway's JSON; throws with the member's detail when refused. */
async function api(path) {
  const r = await fetch(path, { headers: headers() });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    throw new Error(body.detail || body.error || r.statusText);
  }
  return body;
}

/** The revision the tree and the file are read at: 0 for the latest. */
function atRev() {
  return $('rev-latest').checked ? 0 : Number($('rev-slider').value);
}

function revQuery(extra = '') {
  const rev = atRev();
  const parts = [];
  if (rev) parts.push('rev=' + rev);
  if (extra) parts.push(extra);
  return parts.length ? '?' + parts.join('&') : '';
}

function join(dir, name) {
  return dir === '/' ? '/' + name : dir + '/' + name;
}

function parent(path) {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

// ---- revisions -------------------------------------------------------------------------------

async function loadRev() {
  const r = await api('/v1/rev');
  state.latest = r.rev;
  state.oldest = Math.max(1, r.oldest);
  const slider = $('rev-slider');
  slider.min = String(state.oldest);
  slider.max = String(Math.max(state.latest, state.oldest));
  if ($('rev-latest').checked) {
    slider.value = String(state.latest);
  }
  showRev();
}

function showRev() {
  $('rev-shown').textContent = $('rev-latest').checked ? 'latest (' + state.latest + ')' : String($('rev-slider').value);
}

// ---- the tree --------------------------------------------------------------------------------

async function loadDir(highlight = new Set()) {
  const dir = state.dir;
  $('cwd').textContent = dir;
  const ul = $('tree');
  let names;
  let files;
  try {
    const ls = await api('/v1/ls' + (dir === '/' ? '' : dir) + revQuery('limit=1000'));
    names = ls.names;
    // The files among the names, read at the listing's own revision.
    const glob = encodeURIComponent(dir === '/' ? '/*' : dir + '/*');
    files = (await api('/v1/walk?glob=' + glob + '&rev=' + ls.rev + '&limit=1000')).files;
  } catch (e) {
    ul.replaceChildren(item('(' + e.message + ')', 'error'));
    return;
  }
  const fileNames = new Set(files.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1)));
  const items = [];
  if (dir !== '/') {
    const up = item('..', 'dir');
    up.onclick = () => { state.dir = parent(dir); loadDir(); };
    items.push(up);
  }
  for (const name of names) {
    const path = join(dir, name);
    const isFile = fileNames.has(name);
    const li = item(name, isFile ? 'file' : 'dir');
    li.dataset.path = path;
    if (path === state.file) li.classList.add('selected');
    if ([...highlight].some((p) => p === path || p.startsWith(path + '/'))) li.classList.add('changed');
    li.onclick = () => {
      if (isFile) {
        state.file = path;
        loadDir();
        loadFile();
      } else {
        state.dir = path;
        loadDir();
      }
    };
    items.push(li);
  }
  ul.replaceChildren(...items);
}

function item(text, kind) {
  const li = document.createElement('li');
  li.textContent = text;
  li.className = kind;
  return li;
}

// ---- the file --------------------------------------------------------------------------------

let shownValue = null; // {text} or {bytes}

async function loadFile(highlight = false) {
  const path = state.file;
  $('file-path').textContent = path || '';
  if (!path) return;
  try {
    const f = await api('/v1/kv' + path + revQuery());
    shownValue = f.value !== undefined ? { text: f.value } : { bytes: Uint8Array.from(atob(f.value_base64), (c) => c.charCodeAt(0)) };
    $('file-rev').textContent = 'rev ' + f.rev;
  } catch (e) {
    shownValue = null;
    $('file-rev').textContent = e.message;
  }
  renderValue();
  if (highlight) flash($('value'));
  $('editor').hidden = !state.canWrite || atRev() !== 0;
  loadHistory(path);
}

function renderValue() {
  const view = document.querySelector('input[name=view]:checked').value;
  const pre = $('value');
  if (!shownValue) {
    pre.textContent = '';
    return;
  }
  const bytes = shownValue.bytes || new TextEncoder().encode(shownValue.text);
  if (view === 'hex') {
    const lines = [];
    for (let i = 0; i < bytes.length; i += 16) {
      lines.push([...bytes.slice(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
    }
    pre.textContent = lines.join('\n');
  } else if (view === 'json' && shownValue.text !== undefined) {
    try {
      pre.textContent = JSON.stringify(JSON.parse(shownValue.text), null, 2);
    } catch (e) {
      pre.textContent = shownValue.text + '\n\n(not JSON: ' + e.message + ')';
    }
  } else {
    pre.textContent = shownValue.text !== undefined ? shownValue.text : '(binary: ' + bytes.length + ' bytes; see hex)';
  }
}

async function loadHistory(path) {
  const body = $('history').tBodies[0];
  try {
    const h = await api('/v1/history' + path);
    body.replaceChildren(...h.versions.slice().reverse().map((v) => {
      const tr = document.createElement('tr');
      const cells = [v.rev, v.time ? new Date(v.time).toISOString().replace('T', ' ').replace('Z', '') : '',
        v.author || '', v.deleted ? 'deleted' : v.size];
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = String(c);
        tr.append(td);
      }
      // A version: the whole view goes back to its revision.
      tr.onclick = () => {
        $('rev-latest').checked = false;
        $('rev-slider').value = String(v.rev);
        showRev();
        loadDir();
        loadFile();
      };
      return tr;
    }));
  } catch (e) {
    body.replaceChildren();
  }
}

function flash(el) {
  el.classList.remove('changed');
  void el.offsetWidth; // restart the animation
  el.classList.add('changed');
}

// ---- members and presence --------------------------------------------------------------------

async function loadMembers() {
  const body = $('members').tBodies[0];
  try {
    const m = await api('/v1/members');
    body.replaceChildren(...m.members.map((x) => {
      const tr = document.createElement('tr');
      if (x.leader) tr.className = 'leader';
      tr.dataset.id = x.id;
      const cells = [x.id, x.role, x.ballot || '', x.applied_slot ?? '', x.lag ?? '', x.reachable ? 'up' : 'down'];
      cells.forEach((c, i) => {
        const td = document.createElement('td');
        td.textContent = String(c);
        if (i === 5 && !x.reachable) td.className = 'down';
        tr.append(td);
      });
      return tr;
    }));
  } catch (e) {
    body.replaceChildren();
  }
}

async function loadPresence() {
  const div = $('presence');
  let files;
  try {
    files = (await api('/v1/walk?glob=' + encodeURIComponent('/presence/**') + '&limit=1000')).files;
  } catch (e) {
    div.textContent = e.message;
    return;
  }
  const apps = new Map();
  for (const f of files) {
    const [, , ns, app, pod] = f.path.split('/');
    if (!pod) continue;
    let info = {};
    try { info = JSON.parse(f.value || '{}'); } catch (e) { info = { status: f.value }; }
    const key = ns + '/' + app;
    if (!apps.has(key)) apps.set(key, []);
    apps.get(key).push({ pod, path: f.path, status: info.status || '', rev: info.rev ?? '' });
  }
  const blocks = [];
  for (const [key, pods] of [...apps.entries()].sort()) {
    const block = document.createElement('div');
    block.className = 'presence-app';
    const h = document.createElement('h4');
    h.textContent = key + ' (' + pods.length + ')';
    const table = document.createElement('table');
    for (const p of pods) {
      const tr = table.insertRow();
      tr.dataset.path = p.path;
      tr.insertCell().textContent = p.pod;
      const st = tr.insertCell();
      st.textContent = p.status;
      st.className = 'status-' + p.status;
      tr.insertCell().textContent = p.rev === '' ? '' : 'rev ' + p.rev;
    }
    block.append(h, table);
    blocks.push(block);
  }
  if (!blocks.length) {
    const none = document.createElement('p');
    none.textContent = 'no presence';
    blocks.push(none);
  }
  div.replaceChildren(...blocks);
}

// ---- live updates ----------------------------------------------------------------------------

/** Reads the watch's Server-Sent Events with fetch (EventSource cannot send a token). */
async function watchLive() {
  const live = $('live');
  for (;;) {
    try {
      const from = state.latest + 1;
      const r = await fetch('/v1/watch?glob=' + encodeURIComponent('/**') + '&from=' + from, { headers: headers() });
      if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || r.statusText);
      live.textContent = 'live';
      live.className = 'live on';
      const reader = r.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          const kind = (block.split('\n').find((l) => l.startsWith('event: ')) || '').slice(7);
          if (data && (kind === 'set' || kind === 'del')) changed(kind, JSON.parse(data));
          if (kind === 'error') throw new Error(JSON.parse(data).detail);
        }
      }
    } catch (e) {
      live.textContent = 'disconnected: ' + e.message;
      live.className = 'live off';
    }
    await new Promise((res) => setTimeout(res, 1000));
    await loadRev().catch(() => {});
  }
}

let pendingPaths = new Set();
let refreshQueued = false;

/** One change from the watch: noted at once, the views refreshed once per burst. */
function changed(kind, e) {
  state.latest = Math.max(state.latest, e.rev);
  const li = document.createElement('li');
  li.textContent = (kind === 'del' ? 'DEL ' : 'SET ') + e.path + ' @' + e.rev + (e.author ? ' by ' + e.author : '');
  $('changes').prepend(li);
  while ($('changes').children.length > 50) $('changes').lastChild.remove();
  pendingPaths.add(e.path);
  if (refreshQueued) return;
  refreshQueued = true;
  setTimeout(async () => {
    refreshQueued = false;
    const paths = pendingPaths;
    pendingPaths = new Set();
    const slider = $('rev-slider');
    slider.max = String(state.latest);
    if ($('rev-latest').checked) {
      slider.value = String(state.latest);
      showRev();
      await loadDir(paths);
      if (state.file && paths.has(state.file)) await loadFile(true);
    }
    if ([...paths].some((p) => p.startsWith('/presence/'))) loadPresence();
    if ([...paths].some((p) => p.startsWith('/ctl/'))) loadMembers();
  }, 50);
}

// ---- start -----------------------------------------------------------------------------------

async function whoami() {
  try {
    const w = await api('/v1/whoami');
    $('who').textContent = w.name || 'anonymous';
    // Editing is offered when the member does not enforce a policy, or to an identity that is not anonymous;
    // the member still judges each write and says why it refuses one.
    state.canWrite = !w.enforcing || (w.name && w.name !== 'anonymous');
  } catch (e) {
    $('who').textContent = e.message;
    state.canWrite = false;
  }
}

function start() {
  $('token').value = state.token;
  $('token').onchange = () => {
    state.token = $('token').value.trim();
    sessionStorage.setItem('cairn.token', state.token);
    location.reload();
  };
  $('rev-slider').oninput = () => {
    $('rev-latest').checked = false;
    showRev();
    loadDir();
    loadFile();
  };
  $('rev-latest').onchange = () => {
    if ($('rev-latest').checked) $('rev-slider').value = String(state.latest);
    showRev();
    loadDir();
    loadFile();
  };
  for (const r of document.querySelectorAll('input[name=view]')) r.onchange = renderValue;
  $('editor').onsubmit = async (ev) => {
    ev.preventDefault();
    const r = await fetch('/v1/kv' + state.file, { method: 'PUT', headers: headers(), body: $('new-value').value });
    const body = await r.json().catch(() => ({}));
    $('edit-result').textContent = r.ok ? 'set at rev ' + body.rev : (body.detail || r.statusText);
  };
  boot();
  setInterval(loadMembers, 2000);
}

/** The first reads, again every second while they fail (a console opened during an election waits for the leader). */
async function boot() {
  for (;;) {
    try {
      await whoami();
      await loadRev();
      await Promise.all([loadDir(), loadMembers(), loadPresence()]);
      break;
    } catch (e) {
      $('live').textContent = 'waiting: ' + e.message;
      $('live').className = 'live off';
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  document.body.dataset.ready = 'true';
  watchLive();
}

start();
