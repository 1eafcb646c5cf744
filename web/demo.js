// distilled_vit browser demo: decode + resample with Web Audio, cut windows exactly as distilled_vit.audio.wave_windows,
// run the audio-in student with onnxruntime-web, draw valence/arousal over time and on the plane.
// A student that hears harmony rows (student_harmony) also runs the bundle's harmony.onnx (note transcriber + rows, one
// graph) once per clip on the audio resampled to 22.05 kHz, and takes the rows' windows as its second input.
// URL parameters (for tests and links): ?audio=URL runs on that file; ?frontend=URL loads another bundle, whose models
// and harmony graph are files beside that frontend.json; ?model=URL (relative to the page, like any link) another model.
// "Use your own model" takes the same files from the user's disk, matched by the names frontend.json lists.
'use strict';
const $ = (id) => document.getElementById(id);
let state = { session: null, fe: null, modelName: null, harmony: null };
let busy = false;                                    // one file or model at a time: a session must not run two files at once

function status(msg, kind = 'busy') {               // kind: busy | ready (waits for a file) | done | error
  const s = $('status'); s.textContent = msg; s.className = kind === 'error' ? 'error' : '';
  document.body.dataset.state = kind;                // what tests/test_browser.py waits on
}

function windowStarts(nFrames, win, hop) {          // distilled_vit.audio.window_starts
  if (nFrames <= win) return [0];
  const s = [];
  for (let i = 0; i <= nFrames - win; i += hop) s.push(i);
  if (s[s.length - 1] !== nFrames - win) s.push(nFrames - win);
  return s;
}

async function sha256(bytes) {                       // hex SHA-256 (Web Crypto: a secure context, e.g. https or localhost)
  if (!(globalThis.crypto && crypto.subtle)) throw new Error('this page needs https (or localhost) to check the model files\' SHA-256');
  return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function readFrontend(feText) {                      // the bundle description, checked as predict checks it (09a_predict)
  let fe;
  try { fe = JSON.parse(feText); } catch (e) { throw new Error(`frontend.json: not readable JSON (${e.message})`); }
  if (!fe || fe.format !== 'distilled_vit-onnx-bundle' || !fe.wave_input || !fe.models)
    throw new Error('frontend.json: not a distilled_vit export description with an audio-in model (wave_input missing; export again)');
  const lr = (fe.labels && fe.labels.range) || [-1, 1];
  if (!Array.isArray(lr) || lr.length !== 2 || !lr.every(Number.isFinite) || !(lr[0] < lr[1]))
    throw new Error(`frontend.json: labels.range must be two finite numbers [low, high] with low < high, got ${JSON.stringify(lr)}`);
  const files = Object.entries(fe.models).map(([v, f]) => [`model file of variant '${v}'`, f]);
  if (fe.harmony) files.push(['harmony graph', fe.harmony.graph]);
  for (const [what, f] of files)                      // a bundle's files lie beside its frontend.json: plain file names
    if (typeof f !== 'string' || !f || /[\\/]/.test(f) || f === '.' || f === '..')
      throw new Error(`frontend.json: ${what} ${JSON.stringify(f)} is outside the bundle folder; a bundle's files lie beside its frontend.json`);
  return fe;
}

async function loadModel(modelBytes, fe, name, harmonyBytes = null) {
  const want = fe.checksums && fe.checksums.files && fe.checksums.files[name];   // recorded at export (bundles before: none)
  if (want && (await sha256(modelBytes)) !== want)
    throw new Error(`${name}: SHA-256 differs from the one frontend.json recorded (another export's model, or damaged); export again`);
  if (fe.harmony && harmonyBytes && (await sha256(harmonyBytes)) !== fe.harmony.sha256)
    throw new Error(`${fe.harmony.graph}: SHA-256 differs from the one frontend.json recorded; export again`);
  ort.env.wasm.numThreads = 1;                      // no cross-origin isolation on a static site: single-threaded wasm
  let session;
  try { session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'] }); }
  catch (e) { throw new Error(`${name}: not a valid ONNX model (${String(e.message || e).split('\n')[0].slice(0, 160)})`); }
  const L = fe.wave_input.shape[1];
  let harmony = null, feeds = { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(L), [1, L]) };
  if (fe.harmony) {                                 // the student hears harmony rows: its graph and a second input
    if (!harmonyBytes) throw new Error(`frontend.json: this student hears harmony rows; its ${fe.harmony.graph} must be served beside it`);
    try { harmony = await ort.InferenceSession.create(harmonyBytes, { executionProviders: ['wasm'] }); }
    catch (e) { throw new Error(`${fe.harmony.graph}: not a valid ONNX model (${String(e.message || e).split('\n')[0].slice(0, 160)})`); }
    const [, R, T] = fe.harmony.input.shape;
    feeds[fe.harmony.input.name] = new ort.Tensor('float32', new Float32Array(R * T), [1, R, T]);
  }
  try { await session.run(feeds); }
  catch (e) {
    throw new Error(`${name}: its input is not an audio window of ${L} samples [batch, ${L}] (the log-mel student.onnx? ` +
                    `use student_wave_int8.onnx or student_wave.onnx with the frontend.json of the same export)`);
  }
  if (state.session) await state.session.release();  // the model it replaces
  if (state.harmony) await state.harmony.release();
  state = { session, fe, modelName: name, harmony };
  $('modelname').textContent = `${name} (${fe.preset} preset, ${fe.frontend.sample_rate} Hz, window ${(L / fe.frontend.sample_rate).toFixed(2)} s)`;
}

async function decode(bytes, name, sr) {
  const ctx = new OfflineAudioContext(1, 1, sr);      // decodeAudioData resamples to the context's rate
  let buf;
  try { buf = await ctx.decodeAudioData(bytes); }
  catch (e) { throw new Error(`${name}: cannot decode audio in this browser (${e.message || e.name || e})`); }
  if (!buf.length) throw new Error(`${name}: contains no audio samples`);
  const y = new Float32Array(buf.length);
  for (let c = 0; c < buf.numberOfChannels; c++) {
    const ch = buf.getChannelData(c);
    for (let i = 0; i < y.length; i++) y[i] += ch[i] / buf.numberOfChannels;
  }
  return y;
}

async function resampleTo(y, from, to) {              // the model-rate clip at another rate (Web Audio's resampler)
  const ctx = new OfflineAudioContext(1, Math.ceil(y.length * to / from), to), buf = ctx.createBuffer(1, y.length, from);
  buf.copyToChannel(y, 0);
  const src = ctx.createBufferSource(); src.buffer = buf; src.connect(ctx.destination); src.start();
  return (await ctx.startRendering()).getChannelData(0);
}

async function harmonyRows(y, sr, nFrames) {         // harmony.onnx: [16, nFrames] rows of the whole clip (the model normalises them)
  const h = state.fe.harmony, [a, t] = Object.keys(h.graph_inputs), y22 = await resampleTo(y, sr, 22050);
  const r = await state.harmony.run({ [a]: new ort.Tensor('float32', y22, [y22.length]),
                                      [t]: new ort.Tensor('int64', BigInt64Array.of(BigInt(nFrames)), []) });
  return r[state.harmony.outputNames[0]].data;
}

async function predict(y, name) {
  const { session, fe } = state, f = fe.frontend, L = fe.wave_input.shape[1], pad = fe.wave_input.pad_front;
  const hop = f.hop_length, sr = f.sample_rate, win = f.win_frames;
  const nFrames = 1 + Math.floor(y.length / hop), starts = windowStarts(nFrames, win, f.win_hop_frames);
  let H = null;
  if (state.harmony) { status(`Transcribing ${name}…`); H = await harmonyRows(y, sr, nFrames); }
  const R = fe.harmony ? fe.harmony.rows : 0;
  const yp = new Float32Array(pad + Math.max(y.length, starts[starts.length - 1] * hop + L) + L);
  yp.set(y, pad);                                      // n_fft/2 zeros in front, zeros after the end
  const [lo, hi] = (fe.labels && fe.labels.range) || [-1, 1];
  const toLabel = (v) => lo + (Math.min(1, Math.max(-1, v)) + 1) / 2 * (hi - lo);
  const out = [], B = 1;                              // one window per call: dynamic INT8 scales each call's activations (09_export)
  for (let i = 0; i < starts.length; i += B) {
    const part = starts.slice(i, i + B), data = new Float32Array(part.length * L);
    part.forEach((s, j) => data.set(yp.subarray(s * hop, s * hop + L), j * L));
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [part.length, L]) };
    if (H) {                                          // rows [16, win] from frame s on, zeros past the clip's end, as in training
      const rows = new Float32Array(part.length * R * win);
      part.forEach((s, j) => { for (let r = 0; r < R; r++) for (let c = 0; c < win && s + c < nFrames; c++) rows[(j * R + r) * win + c] = H[r * nFrames + s + c]; });
      feeds[fe.harmony.input.name] = new ort.Tensor('float32', rows, [part.length, R, win]);
    }
    const r = await session.run(feeds);
    const v = r[session.outputNames[0]].data;
    if (!Array.from(v).every(Number.isFinite))          // never a NaN "prediction", as in predict
      throw new Error(`${state.modelName}: the model gave non-finite outputs for ${name}: its weights or frontend.json are damaged; export again`);
    part.forEach((s, j) => out.push({ start_s: +(s * hop / sr).toFixed(3), end_s: +Math.min((s + win) * hop / sr, y.length / sr).toFixed(3),
                                      valence: toLabel(v[2 * j]), arousal: toLabel(v[2 * j + 1]) }));
    status(`Scoring ${name}: ${Math.min(i + B, starts.length)} / ${starts.length} windows…`);
  }
  const mean = (k) => out.reduce((a, w) => a + w[k], 0) / out.length;
  return { file: name, model: state.modelName, sample_rate: sr, duration_s: +(y.length / sr).toFixed(3), label_range: [lo, hi],
           valence: mean('valence'), arousal: mean('arousal'), windows: out };
}

function draw(res) {
  const [lo, hi] = res.label_range, c = $('curve'), g = c.getContext('2d'), W = c.width, H = c.height, m = 34;
  g.clearRect(0, 0, W, H); g.font = '11px sans-serif';
  const x = (t) => m + (W - 2 * m) * t / Math.max(res.duration_s, 1e-6), yv = (v) => H - m - (H - 2 * m) * (v - lo) / (hi - lo);
  g.strokeStyle = '#ccc'; g.beginPath(); g.moveTo(m, yv((lo + hi) / 2)); g.lineTo(W - m, yv((lo + hi) / 2)); g.stroke();
  g.fillStyle = '#444'; g.fillText(hi.toFixed(1), 4, yv(hi) + 4); g.fillText(lo.toFixed(1), 4, yv(lo) + 4);
  g.fillText('time (s, window centre)', W / 2 - 50, H - 8); g.fillText(`${res.duration_s.toFixed(1)} s`, W - m - 20, H - m + 14);
  [['valence', '#1f77b4'], ['arousal', '#d62728']].forEach(([k, col], n) => {
    g.strokeStyle = col; g.fillStyle = col; g.lineWidth = 2; g.beginPath();
    res.windows.forEach((w, i) => { const px = x((w.start_s + w.end_s) / 2), py = yv(w[k]); i ? g.lineTo(px, py) : g.moveTo(px, py); });
    g.stroke(); g.fillText(`${k} ${res[k].toFixed(2)}`, W - m - 90, 14 + 14 * n);
  });
  const p = $('plane'), q = p.getContext('2d'), S = p.width, pm = 24, sc = (v) => pm + (S - 2 * pm) * (v - lo) / (hi - lo);
  q.clearRect(0, 0, S, S); q.strokeStyle = '#bbb'; q.strokeRect(pm, pm, S - 2 * pm, S - 2 * pm);
  q.beginPath(); q.moveTo(S / 2, pm); q.lineTo(S / 2, S - pm); q.moveTo(pm, S / 2); q.lineTo(S - pm, S / 2); q.stroke();
  q.fillStyle = '#444'; q.font = '11px sans-serif'; q.fillText('valence →', S - pm - 55, S - 6); q.fillText('arousal ↑', 4, pm - 8);
  q.fillStyle = 'rgba(31,119,180,.35)';
  res.windows.forEach((w) => { q.beginPath(); q.arc(sc(w.valence), S - sc(w.arousal), 3, 0, 7); q.fill(); });
  q.fillStyle = '#000'; q.beginPath(); q.arc(sc(res.valence), S - sc(res.arousal), 6, 0, 7); q.fill();
}

async function run(bytes, name) {                    // bytes: an ArrayBuffer or a promise of one
  if (busy) { status(`Still busy with the previous file or model; drop ${name} again when it is done.`); return; }
  busy = true;
  try {
    if (!state.session) throw new Error('no model loaded');
    status(`Decoding ${name}…`);
    const y = await decode(await bytes, name, state.fe.frontend.sample_rate);
    const res = await predict(y, name);
    draw(res); $('result').textContent = JSON.stringify(res, null, 1);
    status(`Done: ${name}: valence ${res.valence.toFixed(2)}, arousal ${res.arousal.toFixed(2)} (${res.windows.length} windows).`, 'done');
  } catch (e) { status(String(e.message || e), 'error'); }
  finally { busy = false; }
}

const fetchBytes = async (url) => { const r = await fetch(url); if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`); return r.arrayBuffer(); };
const fetchText = async (url) => { const r = await fetch(url); if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`); return r.text(); };

async function main() {
  const q = new URLSearchParams(location.search);
  busy = true;                                        // the picker waits until the default model is in
  try {
    const feUrl = new URL(q.get('frontend') || 'frontend.json', location.href), fe = readFrontend(await fetchText(feUrl.href));
    const beside = (f) => new URL(f, feUrl).href;     // the bundle's own files: in the folder of the frontend.json loaded
    const modelUrl = q.get('model') ? new URL(q.get('model'), location.href).href : beside(fe.models[fe.default_model]);
    const graph = fe.harmony ? await fetchBytes(beside(fe.harmony.graph)) : null;
    await loadModel(await fetchBytes(modelUrl), fe, modelUrl.split('/').pop(), graph);
    status('Ready: drop an audio file.', 'ready');
  } catch (e) {
    status(`No default model here (${e.message || e}); choose an export's files below.`,
           q.get('model') || q.get('frontend') ? 'error' : 'ready');
  } finally { busy = false; }
  if (q.get('audio') && state.session) {
    const url = q.get('audio');
    try { await run(await fetchBytes(url), url.split('/').pop()); } catch (e) { status(String(e.message || e), 'error'); }
  }
}

async function ownModel(e) {                          // the files of one export, chosen together
  const files = Array.from(e.target.files);
  if (!files.length) return;
  if (busy) { status('Still busy with a file or model; choose the model again when it is done.'); return; }
  busy = true; status(`Loading ${files.length} file(s)…`);
  try {
    const byName = new Map(files.map((f) => [f.name, f]));
    const need = (name, why) => { if (!byName.has(name)) throw new Error(`${name} missing: ${why}`); return byName.get(name); };
    const fe = readFrontend(await need('frontend.json', 'choose it together with the model (the files of one export)').text());
    const graph = fe.harmony && fe.harmony.graph, def = fe.models[fe.default_model];
    const onnx = files.filter((f) => f.name.endsWith('.onnx') && f.name !== graph);   // the model: the only one, or the default
    const m = onnx.length === 1 ? onnx[0] : need(def, onnx.length ? `choose one model, or ${def} among them`
                                                                    : 'choose the model together with frontend.json');
    const g = graph ? need(graph, 'this student hears harmony rows; choose it together with frontend.json and the model') : null;
    await loadModel(await m.arrayBuffer(), fe, m.name, g && await g.arrayBuffer());
    status(`Ready with ${m.name}: drop an audio file.`, 'ready');
  } catch (err) { status(String(err.message || err), 'error'); }
  finally { busy = false; }
}

$('audio').addEventListener('change', (e) => { const f = e.target.files[0]; if (f) run(f.arrayBuffer(), f.name); });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); const f = e.dataTransfer.files[0]; if (f) run(f.arrayBuffer(), f.name); });
$('bundle').addEventListener('change', ownModel);
main();
