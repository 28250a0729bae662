// LeNetExplorer's view (convlab/widgets/lenet_explorer.py): a drawing pad, the 28×28 input the
// network receives, the class probabilities and the feature maps. Drawing and pointing happen
// here; every number shown comes from Python. Latencies (ms) are kept in el.__latencies, from the
// input event's timeStamp to the frame after drawing is on screen: stroke = mouse released → new
// probabilities and maps on screen; hover = mouse moved onto a new value → its field outlined.
//
// Hooks for a browser test: the root ".lenet-explorer" has data-pointed="layer,channel,row,col"
// and data-field="top,left,height,width" (both "" when nothing is pointed at), data-answered (the
// stroke the maps answer) and data-probabilities (JSON); map canvases are "canvas.lx-map-<layer>"
// with data-scale. The pointed trait is [layer, channel, row, col], or [] when nothing is pointed.
// The polite live region ".lx-live" holds the last announcement of a burst (data-pen on the pad:
// "x,y,down" in pad pixels, for keyboard tests).
//
// Every word shown or said comes from the texts trait (Python's VIEW_TEXTS, in the learner's
// language), with its {names} filled in here.
//
// Keyboard: the pad and every map canvas are Tab stops (see texts.keys). On the pad the arrows move
// a pen cursor, Space puts the pen down or lifts it (lifting sends the stroke, as releasing the
// mouse does), Enter sends the stroke, E switches pen and eraser, C clears. On a focused map the
// arrows move the pointed value through the same code path as the mouse; Escape stops pointing.

const STYLE = `
.lenet-explorer { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px;
  color: var(--jp-ui-font-color1, #222); max-width: 100%; }
.lenet-explorer .lx-row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.lenet-explorer .lx-title { font-weight: 600; margin: 2px 0 4px; }
.lenet-explorer canvas { image-rendering: pixelated; display: block; }
.lenet-explorer .lx-pad { border: 1px solid #888; cursor: crosshair; background: #fff;
  touch-action: none; }
.lenet-explorer .lx-input { border: 1px solid #888; }
.lenet-explorer .lx-tools { display: flex; gap: 6px; margin-top: 6px; }
.lenet-explorer .lx-tools button { padding: 2px 10px; border: 1px solid #888; border-radius: 3px;
  background: #f4f4f4; cursor: pointer; font-size: 13px; }
.lenet-explorer .lx-tools button.lx-active { background: #1f77b4; color: #fff; }
.lenet-explorer .lx-prob { display: grid; gap: 2px 6px; align-items: center;
  grid-template-columns: minmax(92px, max-content) 120px minmax(60px, max-content); }
.lenet-explorer .lx-value, .lenet-explorer .lx-class { white-space: nowrap; }
.lenet-explorer .lx-value { min-width: 4.2em; }
.lenet-explorer [tabindex]:focus { outline: none; }
.lenet-explorer [tabindex]:focus-visible { outline: 3px solid #1f77b4; outline-offset: 2px; }
.lenet-explorer .lx-keys { margin: 4px 0; color: var(--jp-ui-font-color2, #555); }
.lenet-explorer .lx-live { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.lenet-explorer .lx-bar { height: 13px; background: #9ecae1; }
.lenet-explorer .lx-best .lx-bar { background: #1f77b4; }
.lenet-explorer .lx-best { font-weight: 600; }
.lenet-explorer .lx-value { text-align: right; font-variant-numeric: tabular-nums; }
.lenet-explorer .lx-caption, .lenet-explorer .lx-readout { margin: 4px 0; min-height: 1.3em; }
.lenet-explorer .lx-caption { width: 168px; min-height: 5.2em; } /* 4 lines: no jump */
.lenet-explorer .lx-readout { font-variant-numeric: tabular-nums; }
.lenet-explorer .lx-layer { display: flex; align-items: center; margin-top: 6px; }
.lenet-explorer .lx-layer .lx-title { width: 104px; flex: none; white-space: pre-line; }
.lenet-explorer .lx-maps { display: flex; flex-wrap: wrap; gap: 3px; }
.lenet-explorer .lx-map { position: relative; cursor: crosshair; }
.lenet-explorer .lx-cursor { position: absolute; border: 2px solid #d62728; pointer-events: none;
  box-sizing: border-box; display: none; }
.lenet-explorer .lx-error { color: #b00; font-weight: 600; }
`;

const INPUT_SIZE = 28; // the network's input is INPUT_SIZE×INPUT_SIZE
const INPUT_SCALE = 6; // screen pixels per input pixel
const PAD_SCREEN = 168; // the pad's side on screen
// Maps are at most 56 px high and each layer's maps fit in one row of this width, so the whole
// view fits on a 1280×800 screen: the input stays in sight while pointing at the deepest maps.
const MAP_HEIGHT = 56;
const MAPS_WIDTH = 740;
const MAP_GAP = 3; // px between two maps of a layer (.lx-maps gap)
const PEN_RADIUS = 6; // in pad pixels (4 per input pixel)
const ERASER_RADIUS = 10;
const TOOLS = ["pen", "eraser", "clear"];
const NOT_POINTED = []; // nothing under the mouse, in the view and in the pointed trait
const PEN_STEP = 4; // pad pixels per arrow press: one input pixel (Shift: PEN_STEP_FAR)
const PEN_STEP_FAR = 16;
const ANNOUNCE_MS = 300; // a burst of key presses is announced once, this long after the last
const ANSWER_TRAITS = ["answered", "maps", "probabilities"];

// A text of the texts trait with its {names} filled in from `values`.
function fill(text, values = {}) {
  return text.replace(/\{(\w+)\}/g,
                      (whole, name) => (name in values ? String(values[name]) : whole));
}

function element(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

// Copies: a DataView from the kernel need not be aligned for 4- or 2-byte values.
function floats(bytes) {
  const copy = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
  return new Float32Array(copy.buffer);
}

function shorts(bytes) {
  const copy = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
  return new Int16Array(copy.buffer);
}

// One flat array cut into one part per layer, lengthOf(layer) values each; offset = values used.
function perLayer(all, layers, lengthOf) {
  let offset = 0;
  const parts = layers.map((layer) => {
    const part = all.subarray(offset, offset + lengthOf(layer));
    offset += lengthOf(layer);
    return part;
  });
  return { parts, offset };
}

function drawGrey(canvas, values, height, width, low, high, scale) {
  // values row-major; low → black, high → white
  const small = new OffscreenCanvas(width, height);
  const context = small.getContext("2d");
  const pixels = context.createImageData(width, height);
  const span = high > low ? high - low : 1;
  for (let i = 0; i < height * width; i++) {
    const grey = Math.round((255 * (values[i] - low)) / span);
    pixels.data.set([grey, grey, grey, 255], 4 * i);
  }
  context.putImageData(pixels, 0, 0);
  canvas.width = width * scale;
  canvas.height = height * scale;
  const target = canvas.getContext("2d");
  target.imageSmoothingEnabled = false;
  target.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// rAF runs just before the next frame is drawn; the timeout after it, once it is drawn.
const afterFrame = (action) => requestAnimationFrame(() => setTimeout(action, 0));

const samePointed = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

// ---- the DOM ------------------------------------------------------------------------------------

function panel(row, title) {
  const box = element("div", "lx-panel", row);
  element("div", "lx-title", box, title);
  return box;
}

// Everything but the feature maps, which follow the layers (buildMaps).
function buildView(el, texts) {
  const root = element("div", "lenet-explorer", el);
  root.dataset.lmSuppressShortcuts = "true"; // our keys are not JupyterLab's commands
  element("style", null, root, STYLE);
  const view = { root, texts, errorLine: element("div", "lx-error", root), buttons: {},
                 mapCanvases: [] };
  view.latencies = { stroke: [], hover: [] };
  el.__latencies = root.__latencies = view.latencies;
  const top = element("div", "lx-row", root);
  const padBox = panel(top, texts.draw_here);
  view.pad = element("canvas", "lx-pad", padBox);
  Object.assign(view.pad, { tabIndex: 0 });
  view.pad.setAttribute("role", "application");
  view.pad.setAttribute("aria-label", texts.pad);
  const tools = element("div", "lx-tools", padBox);
  for (const name of TOOLS) {
    view.buttons[name] = element("button", `lx-${name}`, tools, texts.tools[name]);
  }
  const inputBox = panel(top, fill(texts.input_title, { size: INPUT_SIZE }));
  view.input = element("canvas", "lx-input", inputBox);
  view.input.setAttribute("role", "img");
  view.input.setAttribute("aria-label", texts.input);
  view.caption = element("div", "lx-caption", inputBox);
  view.probGrid = element("div", "lx-prob", panel(top, texts.probabilities));
  view.readout = element("div", "lx-readout", root, texts.hint);
  view.keys = element("div", "lx-keys", root, texts.keys);
  view.live = element("div", "lx-live", root);
  view.live.setAttribute("role", "status");
  view.live.setAttribute("aria-live", "polite");
  view.mapsBox = element("div", "lx-layers", root);
  return view;
}

// Errors go to the view's error line (and the console) instead of vanishing in a handler.
// `where` names one of texts.actions ("draw", "send", …): what the view was doing.
function reporter(view) {
  return (where, action) => {
    try {
      action();
    } catch (error) {
      const doing = view.texts.actions[where] || where;
      view.errorLine.textContent = fill(view.texts.failed, { action: doing, error });
      console.error(`LeNetExplorer: ${where}`, error);
    }
  };
}

// Say `text` in the live region once no other announcement has come for ANNOUNCE_MS.
function announce(view, text) {
  clearTimeout(view.announceTimer);
  view.announceTimer = setTimeout(() => {
    view.live.textContent = text;
  }, ANNOUNCE_MS);
}

// ---- the drawing pad ----------------------------------------------------------------------------

// ink: size×size bytes, 255 = full ink; last: the stroke's previous point, null between strokes.
function createPad(canvas, size) {
  canvas.width = canvas.height = size;
  canvas.style.width = canvas.style.height = `${PAD_SCREEN}px`;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(size, size);
  const middle = Math.floor(size / 2 / PEN_STEP) * PEN_STEP + PEN_STEP / 2;
  return { canvas, size, context, pixels, ink: new Uint8Array(size * size), tool: "pen",
           last: null, pen: [middle, middle], down: false, focused: false };
}

function showPad(pad) {
  for (let i = 0; i < pad.ink.length; i++) {
    const grey = 255 - pad.ink[i]; // ink is dark on the paper; the network gets it light on black
    pad.pixels.data.set([grey, grey, grey, 255], 4 * i);
  }
  pad.context.putImageData(pad.pixels, 0, 0);
  if (pad.focused) showPen(pad);
  pad.canvas.dataset.pen = `${pad.pen.join(",")},${pad.down}`;
}

// The keyboard's pen: a ring as wide as the tool, red while it inks, blue while it is up.
function showPen(pad) {
  const { context } = pad;
  const [x, y] = pad.pen;
  context.lineWidth = 1.5;
  context.strokeStyle = pad.down ? "#d62728" : "#1f77b4";
  context.beginPath();
  context.arc(x, y, pad.tool === "pen" ? PEN_RADIUS : ERASER_RADIUS, 0, 2 * Math.PI);
  context.moveTo(x - 2, y);
  context.lineTo(x + 2, y);
  context.moveTo(x, y - 2);
  context.lineTo(x, y + 2);
  context.stroke();
}

// Ink (pen) or wipe (eraser) a disc around (x, y), in pad pixels.
function dab(pad, x, y) {
  const { ink, size, tool } = pad;
  const radius = tool === "pen" ? PEN_RADIUS : ERASER_RADIUS;
  for (let r = Math.floor(y - radius); r <= Math.ceil(y + radius); r++) {
    for (let c = Math.floor(x - radius); c <= Math.ceil(x + radius); c++) {
      if (r < 0 || c < 0 || r >= size || c >= size) continue;
      const distance = Math.hypot(r + 0.5 - y, c + 0.5 - x);
      const amount = Math.max(0, Math.min(1, radius - distance)); // a soft, 1-pixel edge
      const i = r * size + c;
      ink[i] = tool === "pen"
        ? Math.max(ink[i], Math.round(255 * amount))
        : Math.round(ink[i] * (1 - amount));
    }
  }
}

// The event's position as [x, y] in pad pixels.
function padPoint(pad, event) {
  const box = pad.canvas.getBoundingClientRect();
  return [((event.clientX - box.left) * pad.size) / box.width,
          ((event.clientY - box.top) * pad.size) / box.height];
}

// Dab every pad pixel from the last point to [x, y], so a fast stroke leaves no gaps.
function strokeTo(pad, [x, y]) {
  const [x0, y0] = pad.last ?? [x, y];
  const steps = Math.max(1, Math.ceil(Math.hypot(x - x0, y - y0)));
  for (let s = 1; s <= steps; s++) {
    dab(pad, x0 + ((x - x0) * s) / steps, y0 + ((y - y0) * s) / steps);
  }
  pad.last = [x, y];
  showPad(pad);
}

function chooseTool(view, pad, name) {
  pad.tool = name;
  view.buttons.pen.classList.toggle("lx-active", name === "pen");
  view.buttons.eraser.classList.toggle("lx-active", name === "eraser");
}

// Send the ink as stroke number stroke + 1; Python answers with answered = that number.
function sendDrawing(model, state, started) {
  const stroke = model.get("stroke") + 1;
  state.strokeStarted.set(stroke, started);
  model.set("drawing", new DataView(state.pad.ink.slice().buffer));
  model.set("stroke", stroke);
  model.save_changes();
}

// The pen's position in input pixels, for the announcements.
const penCell = (pad) => pad.pen.map((v) => Math.floor(v / PEN_STEP));

function announcePen(view, pad) {
  const [x, y] = penCell(pad);
  const sentence = pad.down ? view.texts.pen_down : view.texts.pen_up;
  announce(view, fill(sentence, { tool: view.texts.tools[pad.tool], x, y }));
}

const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

// Clear the pad and send the empty drawing (the clear button and the C key).
function clearPad(model, view, state, started) {
  state.pad.ink.fill(0);
  state.pad.down = false;
  state.pad.last = null;
  showPad(state.pad);
  sendDrawing(model, state, started);
  announce(view, view.texts.cleared);
}

// The pad's keys (texts.keys); true when the key was one of them.
function padKey({ model, view, state }, event) {
  const { pad } = state;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (key in ARROWS) {
    const step = event.shiftKey ? PEN_STEP_FAR : PEN_STEP;
    const [dx, dy] = ARROWS[key];
    const low = PEN_STEP / 2;
    const high = pad.size - PEN_STEP / 2;
    pad.pen = [Math.min(high, Math.max(low, pad.pen[0] + dx * step)),
               Math.min(high, Math.max(low, pad.pen[1] + dy * step))];
    if (pad.down) strokeTo(pad, pad.pen);
    else showPad(pad);
    announcePen(view, pad);
  } else if (key === " " && !pad.down) {
    pad.down = true;
    pad.last = null;
    strokeTo(pad, pad.pen);
    announcePen(view, pad);
  } else if (key === " " || key === "Enter") {
    pad.down = false;
    showPad(pad);
    if (pad.last === null) {
      announce(view, view.texts.nothing_to_send);
      return true;
    }
    pad.last = null;
    sendDrawing(model, state, event.timeStamp); // Python's answer is announced
  } else if (key === "e") {
    chooseTool(view, pad, pad.tool === "pen" ? "eraser" : "pen");
    showPad(pad);
    announcePen(view, pad);
  } else if (key === "c") {
    clearPad(model, view, state, event.timeStamp);
  } else {
    return false;
  }
  return true;
}

function listenToPad(ctx) {
  const { model, view, state, safely } = ctx;
  const { pad } = state;
  pad.canvas.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    let handled = false;
    safely("draw_keys", () => {
      pad.focused = true;
      handled = padKey(ctx, event);
    });
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  });
  pad.canvas.addEventListener("focus", () => safely("show_pen", () => {
    pad.focused = pad.canvas.matches(":focus-visible"); // a mouse click shows no pen
    showPad(pad);
  }));
  pad.canvas.addEventListener("blur", () => safely("hide_pen", () => {
    pad.focused = false;
    showPad(pad);
  }));
  pad.canvas.addEventListener("pointerdown", (event) => safely("draw", () => {
    pad.canvas.setPointerCapture(event.pointerId);
    pad.last = null;
    strokeTo(pad, padPoint(pad, event));
  }));
  pad.canvas.addEventListener("pointermove", (event) => safely("draw", () => {
    if (pad.last !== null) strokeTo(pad, padPoint(pad, event));
  }));
  const finish = (event) => safely("send", () => {
    if (pad.last === null) return;
    pad.last = null;
    sendDrawing(model, state, event.timeStamp); // when the mouse was released (performance.now())
  });
  pad.canvas.addEventListener("pointerup", finish);
  pad.canvas.addEventListener("pointercancel", finish);
  view.buttons.pen.addEventListener("click", () => chooseTool(view, pad, "pen"));
  view.buttons.eraser.addEventListener("click", () => chooseTool(view, pad, "eraser"));
  view.buttons.clear.addEventListener("click", (event) => safely("clear", () => {
    clearPad(model, view, state, event.timeStamp);
  }));
}

// ---- what Python computed -----------------------------------------------------------------------

// Per layer: an Int16Array of H×W×4 receptive-field boxes.
function readFields(model) {
  const all = shorts(model.get("fields"));
  return perLayer(all, model.get("layers"), (layer) => layer.height * layer.width * 4).parts;
}

// The input image and, per layer, a Float32Array of C×H×W map values.
function readAnswer(model, state) {
  state.image = floats(model.get("image"));
  const all = floats(model.get("maps"));
  const size = (layer) => layer.channels * layer.height * layer.width;
  const { parts, offset } = perLayer(all, model.get("layers"), size);
  state.maps = parts;
  if (offset !== all.length) throw new Error(`maps hold ${all.length} values, not ${offset}`);
}

// [top, left, height, width] of the input that value (row, col) of layer `layer` can see.
function fieldOf(state, info, layer, row, col) {
  const at = 4 * (row * info.width + col);
  return [...state.fields[layer].slice(at, at + 4)];
}

// Veil what the value cannot see, outline what it can.
function outlineField(canvas, [top, left, height, width]) {
  const [x, y, w, h] = [left, top, width, height].map((v) => v * INPUT_SCALE);
  const context = canvas.getContext("2d");
  context.fillStyle = "rgba(255, 255, 255, 0.35)";
  context.beginPath();
  context.rect(0, 0, canvas.width, canvas.height);
  context.rect(x, y, w, h);
  context.fill("evenodd");
  context.strokeStyle = "#d62728";
  context.lineWidth = 3;
  context.strokeRect(x, y, w, h);
}

function showInput(view, model, state) {
  drawGrey(view.input, state.image, INPUT_SIZE, INPUT_SIZE, 0, 1, INPUT_SCALE);
  if (state.pointed.length === 0) {
    view.root.dataset.field = "";
    return;
  }
  const [layer, , row, col] = state.pointed;
  const field = fieldOf(state, model.get("layers")[layer], layer, row, col);
  outlineField(view.input, field);
  view.root.dataset.field = field.join(",");
}

function showProbabilities(view, model) {
  const classes = model.get("classes");
  const probabilities = model.get("probabilities");
  const best = probabilities.indexOf(Math.max(...probabilities));
  view.probGrid.replaceChildren();
  probabilities.forEach((p, c) => {
    const best_ = c === best ? " lx-best" : "";
    element("span", `lx-class${best_}`, view.probGrid, classes[c]);
    const track = element("div", `lx-track${best_}`, view.probGrid);
    element("div", "lx-bar", track).style.width = `${(100 * p).toFixed(1)}%`;
    element("span", `lx-value${best_}`, view.probGrid, `${(100 * p).toFixed(1)} %`);
  });
  view.root.dataset.probabilities = JSON.stringify(probabilities);
}

// Screen pixels per map pixel: at most MAP_HEIGHT high, all the layer's maps in MAPS_WIDTH.
function mapScale(layer) {
  const gaps = MAP_GAP * (layer.channels - 1);
  const fit = Math.floor((MAPS_WIDTH - gaps) / (layer.channels * layer.width));
  return Math.max(1, Math.min(Math.floor(MAP_HEIGHT / layer.height), fit));
}

// One row of canvases per layer, one canvas (and its cursor) per channel.
function buildMaps(ctx) {
  const { model, view } = ctx;
  view.mapsBox.replaceChildren();
  view.mapCanvases = model.get("layers").map((layer, index) => {
    const box = element("div", "lx-layer", view.mapsBox);
    element("div", "lx-title", box, layer.title.replace(" · ", "\n"));
    const row = element("div", "lx-maps", box);
    const scale = mapScale(layer);
    return Array.from({ length: layer.channels },
                      (_, channel) => buildMap(ctx, row, index, channel, scale));
  });
}

function buildMap(ctx, row, layer, channel, scale) {
  const wrap = element("div", "lx-map", row);
  const { texts } = ctx.view;
  wrap.title = fill(texts.map_tooltip, { channel });
  const canvas = element("canvas", `lx-map-${layer}`, wrap);
  const cursor = element("div", "lx-cursor", wrap);
  canvas.dataset.layer = layer;
  canvas.dataset.channel = channel;
  canvas.dataset.scale = scale;
  const info = ctx.model.get("layers")[layer];
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "application");
  const label = { ...info, title: info.title.split(" · ")[0], channel };
  canvas.setAttribute("aria-label", fill(texts.map_label, label));
  canvas.addEventListener("mousemove", (event) => {
    const row = Math.floor(event.offsetY / scale);
    const col = Math.floor(event.offsetX / scale);
    pointAt(ctx, event.timeStamp, [layer, channel, row, col]);
  });
  canvas.addEventListener("mouseleave", () => unpoint(ctx));
  canvas.addEventListener("keydown", (event) => mapKey(ctx, event, layer, channel));
  canvas.addEventListener("focus", () => {
    const [l, c, row, col] = ctx.state.pointed; // keep the place when moving along a layer
    const [r0, c0] = l === layer ? [row, col] : [info.height >> 1, info.width >> 1];
    if (l !== layer || c !== channel) pointAt(ctx, performance.now(), [layer, channel, r0, c0]);
  });
  canvas.addEventListener("blur", (event) => {
    if (!event.relatedTarget?.classList?.contains(`lx-map-${layer}`)) unpoint(ctx);
  });
  return { canvas, cursor };
}

function valueRange(values) {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  return [low, high];
}

function drawMaps(view, model, maps) {
  model.get("layers").forEach((layer, index) => {
    const [low, high] = valueRange(maps[index]); // one grey scale per layer, so its maps compare
    const area = layer.height * layer.width;
    view.mapCanvases[index].forEach(({ canvas }, channel) => {
      const start = channel * area;
      drawGrey(canvas, maps[index].subarray(start, start + area), layer.height, layer.width, low,
               high, Number(canvas.dataset.scale));
    });
  });
}

// ---- pointing at a map value --------------------------------------------------------------------

// The readout: the pointed value and its receptive field, as LeNetExplorer.describe writes it.
function describe(view, model, state) {
  if (state.pointed.length === 0) return view.texts.hint;
  const [layer, channel, row, col] = state.pointed;
  const info = model.get("layers")[layer];
  const value = state.maps[layer][(channel * info.height + row) * info.width + col];
  const [top, left, height, width] = fieldOf(state, info, layer, row, col);
  return fill(view.texts.pointed, {
    title: info.title.split(" · ")[0], channel, row, col, value: value.toFixed(3), top, left,
    bottom: top + height - 1, right: left + width - 1, height, width,
  });
}

function placeCursor(view, [layer, channel, row, col]) {
  const { canvas, cursor } = view.mapCanvases[layer][channel];
  const scale = Number(canvas.dataset.scale);
  Object.assign(cursor.style, {
    display: "block", left: `${col * scale}px`, top: `${row * scale}px`,
    width: `${scale}px`, height: `${scale}px`,
  });
}

// The cursor on the maps, the readout and the field on the input, for state.pointed.
function showPointed(view, model, state) {
  for (const { cursor } of view.mapCanvases.flat()) cursor.style.display = "none";
  if (state.pointed.length > 0) placeCursor(view, state.pointed);
  view.root.dataset.pointed = state.pointed.join(","); // "" when nothing is pointed at
  view.readout.textContent = describe(view, model, state);
  showInput(view, model, state);
}

function sendPointed(model, pointed) {
  model.set("pointed", pointed);
  model.save_changes();
}

// Point at next = [layer, channel, row, col] (mouse or keys); started: when the mouse moved or
// the key went down (the clock of performance.now()).
function pointAt({ model, view, state, safely }, started, next) {
  const [layer, , row, col] = next;
  const info = model.get("layers")[layer];
  if (row < 0 || col < 0 || row >= info.height || col >= info.width) return;
  if (samePointed(next, state.pointed)) return; // Python hears only of a new value
  state.pointed = next;
  safely("show_field", () => showPointed(view, model, state));
  afterFrame(() => view.latencies.hover.push(performance.now() - started));
  sendPointed(model, next);
}

// Arrows move the pointed value of a focused map; Escape stops pointing.
function mapKey(ctx, event, layer, channel) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const { state } = ctx;
  if (event.key === "Escape") {
    unpoint(ctx);
  } else if (event.key in ARROWS) {
    const [l, c, row, col] = state.pointed;
    const [dx, dy] = ARROWS[event.key];
    const start = l === layer && c === channel ? [row, col] : [0, 0];
    const info = ctx.model.get("layers")[layer];
    const next = [layer, channel, Math.min(info.height - 1, Math.max(0, start[0] + dy)),
                  Math.min(info.width - 1, Math.max(0, start[1] + dx))];
    pointAt(ctx, event.timeStamp, next);
  } else {
    return;
  }
  event.preventDefault();
  event.stopPropagation();
}

function unpoint({ model, view, state, safely }) {
  if (state.pointed.length === 0) return;
  state.pointed = NOT_POINTED;
  safely("clear_field", () => showPointed(view, model, state));
  sendPointed(model, NOT_POINTED);
}

// ---- keeping up with the model ------------------------------------------------------------------

// Draw Python's answer; if it answers one of our strokes, note how long that took.
function showAll({ model, view, state }) {
  view.errorLine.textContent = model.get("error");
  readAnswer(model, state);
  view.caption.textContent = model.get("caption");
  view.input.setAttribute("aria-label", model.get("input_label") || view.texts.input);
  if (!model.get("from_drawing") && !state.pad.down) { // a picked test image replaces the drawing
    state.pad.ink.fill(0);
    state.pad.last = null;
    showPad(state.pad);
  }
  showProbabilities(view, model);
  drawMaps(view, model, state.maps);
  showPointed(view, model, state);
  const stroke = model.get("answered");
  if (state.strokeStarted.has(stroke)) {
    const started = state.strokeStarted.get(stroke);
    state.strokeStarted.delete(stroke);
    afterFrame(() => view.latencies.stroke.push(performance.now() - started));
  }
  view.root.dataset.answered = stroke;
}

// New layers: new fields, new map canvases, then everything drawn.
function rebuild(ctx) {
  ctx.state.fields = readFields(ctx.model);
  buildMaps(ctx);
  showAll(ctx);
}

// One message from Python changes several traits, each firing its own event: act once, after all.
function oncePerMessage(action) {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      action();
    });
  };
}

// Listen to the traits Python sets; returns the function that stops listening.
function listenToModel(ctx) {
  const { model, view, state, safely } = ctx;
  const onAnswer = oncePerMessage(() => safely("show_answer", () => showAll(ctx)));
  const onLayers = () => safely("rebuild_maps", () => {
    state.pointed = NOT_POINTED;
    rebuild(ctx);
  });
  const onError = () => { view.errorLine.textContent = model.get("error"); };
  const onAnnouncement = () => announce(view, model.get("announcement"));
  const handlers = [
    ...ANSWER_TRAITS.map((name) => [`change:${name}`, onAnswer]),
    ["change:layers", onLayers],
    ["change:error", onError],
    ["change:announcement", onAnnouncement],
  ];
  for (const [event, handler] of handlers) model.on(event, handler);
  return () => {
    for (const [event, handler] of handlers) model.off(event, handler);
  };
}

function render({ model, el }) {
  const view = buildView(el, model.get("texts"));
  const state = {
    pad: createPad(view.pad, model.get("pad_size")),
    strokeStarted: new Map(), // stroke number → event.timeStamp of the release that sent it
    fields: null, // per layer: Int16Array of H×W×4 boxes
    maps: null, // per layer: Float32Array of C×H×W
    image: null, // the 28×28 input, Float32Array
    pointed: NOT_POINTED, // or [layer, channel, row, col]
  };
  const ctx = { model, view, state, safely: reporter(view) };
  listenToPad(ctx);
  chooseTool(view, state.pad, "pen");
  showPad(state.pad);
  ctx.safely("build_maps", () => rebuild(ctx));
  return listenToModel(ctx);
}

export default { render };
