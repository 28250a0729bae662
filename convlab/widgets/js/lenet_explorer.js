// LeNetExplorer's view (convlab/widgets/lenet_explorer.py): a drawing pad, the 28×28 input the
// network receives, the class probabilities and the feature maps. Drawing and pointing happen
// here; every number shown comes from Python. Latencies (ms) are kept in el.__latencies, from the
// input event's timeStamp to the frame after drawing is on screen: stroke = mouse released → new
// probabilities and maps on screen; hover = mouse moved onto a new value → its field outlined.

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
.lenet-explorer .lx-prob { display: grid; grid-template-columns: 84px 120px 52px; gap: 2px 6px;
  align-items: center; }
.lenet-explorer .lx-bar { height: 13px; background: #9ecae1; }
.lenet-explorer .lx-best .lx-bar { background: #1f77b4; }
.lenet-explorer .lx-best { font-weight: 600; }
.lenet-explorer .lx-value { text-align: right; font-variant-numeric: tabular-nums; }
.lenet-explorer .lx-caption, .lenet-explorer .lx-readout { margin: 4px 0; min-height: 1.3em; }
.lenet-explorer .lx-readout { font-variant-numeric: tabular-nums; }
.lenet-explorer .lx-layer { display: flex; align-items: center; margin-top: 6px; }
.lenet-explorer .lx-layer .lx-title { width: 104px; flex: none; white-space: pre-line; }
.lenet-explorer .lx-maps { display: flex; flex-wrap: wrap; gap: 3px; }
.lenet-explorer .lx-map { position: relative; cursor: crosshair; }
.lenet-explorer .lx-cursor { position: absolute; border: 2px solid #d62728; pointer-events: none;
  box-sizing: border-box; display: none; }
.lenet-explorer .lx-error { color: #b00; font-weight: 600; }
`;

const INPUT_SCALE = 6; // screen pixels per input pixel
const PAD_SCREEN = 168; // the pad's side on screen
// Maps are at most 56 px high and each layer's maps fit in one row of this width, so the whole
// view fits on a 1280×800 screen: the input stays in sight while pointing at the deepest maps.
const MAP_HEIGHT = 56;
const MAPS_WIDTH = 740;
const PEN_RADIUS = 6; // in pad pixels (4 per input pixel)
const ERASER_RADIUS = 10;

function element(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function floats(view) {
  // copy: a DataView from the kernel need not be 4-byte aligned
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  return new Float32Array(bytes.buffer);
}

function shorts(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  return new Int16Array(bytes.buffer);
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

function render({ model, el }) {
  const root = element("div", "lenet-explorer", el);
  element("style", null, root, STYLE);
  const errorLine = element("div", "lx-error", root);
  const fail = (where, error) => {
    errorLine.textContent = `LeNetExplorer could not ${where}: ${error}`;
    console.error(`LeNetExplorer: ${where}`, error);
  };
  const safely = (where, action) => {
    try {
      action();
    } catch (error) {
      fail(where, error);
    }
  };
  const latencies = { stroke: [], hover: [] };
  el.__latencies = root.__latencies = latencies;

  const top = element("div", "lx-row", root);
  const padBox = element("div", "lx-panel", top);
  element("div", "lx-title", padBox, "Draw here");
  const pad = element("canvas", "lx-pad", padBox);
  const tools = element("div", "lx-tools", padBox);
  const buttons = {};
  for (const name of ["pen", "eraser", "clear"]) {
    buttons[name] = element("button", `lx-${name}`, tools, name);
  }
  const inputBox = element("div", "lx-panel", top);
  element("div", "lx-title", inputBox, "What the network receives (28×28)");
  const input = element("canvas", "lx-input", inputBox);
  const caption = element("div", "lx-caption", inputBox);
  const probBox = element("div", "lx-panel", top);
  element("div", "lx-title", probBox, "Class probabilities");
  const probGrid = element("div", "lx-prob", probBox);
  const readout = element("div", "lx-readout", root);
  readout.textContent = "Point at a value of a feature map to see its receptive field.";
  const mapsBox = element("div", "lx-layers", root);

  // ---- the drawing pad -------------------------------------------------------------------------
  const size = model.get("pad_size");
  const ink = new Uint8Array(size * size);
  pad.width = pad.height = size;
  pad.style.width = pad.style.height = `${PAD_SCREEN}px`;
  const padContext = pad.getContext("2d");
  const padPixels = padContext.createImageData(size, size);
  let tool = "pen";
  const showPad = () => {
    for (let i = 0; i < ink.length; i++) {
      const grey = 255 - ink[i]; // ink is dark on the paper; the network gets it light on black
      padPixels.data.set([grey, grey, grey, 255], 4 * i);
    }
    padContext.putImageData(padPixels, 0, 0);
  };
  const dab = (x, y) => {
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
  };
  let last = null;
  const padPoint = (event) => {
    const box = pad.getBoundingClientRect();
    return [((event.clientX - box.left) * size) / box.width,
            ((event.clientY - box.top) * size) / box.height];
  };
  const strokeTo = ([x, y]) => {
    const [x0, y0] = last ?? [x, y];
    const steps = Math.max(1, Math.ceil(Math.hypot(x - x0, y - y0)));
    for (let s = 1; s <= steps; s++) dab(x0 + ((x - x0) * s) / steps, y0 + ((y - y0) * s) / steps);
    last = [x, y];
    showPad();
  };
  const strokeStarted = new Map(); // stroke number → performance.now() when it was sent
  const send = (started) => {
    const stroke = model.get("stroke") + 1;
    strokeStarted.set(stroke, started);
    model.set("drawing", new DataView(ink.slice().buffer));
    model.set("stroke", stroke);
    model.save_changes();
  };
  pad.addEventListener("pointerdown", (event) => safely("draw", () => {
    pad.setPointerCapture(event.pointerId);
    last = null;
    strokeTo(padPoint(event));
  }));
  pad.addEventListener("pointermove", (event) => safely("draw", () => {
    if (last !== null) strokeTo(padPoint(event));
  }));
  const finish = (event) => safely("send the drawing", () => {
    if (last === null) return;
    last = null;
    send(event.timeStamp); // when the mouse was released (the clock of performance.now())
  });
  pad.addEventListener("pointerup", finish);
  pad.addEventListener("pointercancel", finish);
  const choose = (name) => {
    tool = name;
    buttons.pen.classList.toggle("lx-active", name === "pen");
    buttons.eraser.classList.toggle("lx-active", name === "eraser");
  };
  buttons.pen.addEventListener("click", () => choose("pen"));
  buttons.eraser.addEventListener("click", () => choose("eraser"));
  buttons.clear.addEventListener("click", (event) => {
    ink.fill(0);
    showPad();
    send(event.timeStamp);
  });
  choose("pen");
  showPad();

  // ---- what Python computed --------------------------------------------------------------------
  let fields = null; // per layer: Int16Array of H×W×4 boxes
  let maps = null; // per layer: Float32Array of C×H×W
  let image = null;
  let pointed = null; // [layer, channel, row, col]

  const showInput = () => {
    drawGrey(input, image, 28, 28, 0, 1, INPUT_SCALE);
    const context = input.getContext("2d");
    if (pointed === null) {
      root.dataset.field = "";
      return;
    }
    const [layer, , row, col] = pointed;
    const width = model.get("layers")[layer].width;
    const at = 4 * (row * width + col);
    const [fTop, fLeft, fHeight, fWidth] = fields[layer].slice(at, at + 4);
    context.fillStyle = "rgba(255, 255, 255, 0.35)"; // veil what the value cannot see
    context.beginPath();
    context.rect(0, 0, input.width, input.height);
    context.rect(fLeft * INPUT_SCALE, fTop * INPUT_SCALE, fWidth * INPUT_SCALE,
                 fHeight * INPUT_SCALE);
    context.fill("evenodd");
    context.strokeStyle = "#d62728";
    context.lineWidth = 3;
    context.strokeRect(fLeft * INPUT_SCALE, fTop * INPUT_SCALE, fWidth * INPUT_SCALE,
                       fHeight * INPUT_SCALE);
    root.dataset.field = [fTop, fLeft, fHeight, fWidth].join(",");
    return [fTop, fLeft, fHeight, fWidth];
  };

  const showProbabilities = () => {
    const classes = model.get("classes");
    const probabilities = model.get("probabilities");
    const best = probabilities.indexOf(Math.max(...probabilities));
    probGrid.replaceChildren();
    probabilities.forEach((p, c) => {
      const best_ = c === best ? " lx-best" : "";
      element("span", `lx-class${best_}`, probGrid, classes[c]);
      const track = element("div", `lx-track${best_}`, probGrid);
      element("div", "lx-bar", track).style.width = `${(100 * p).toFixed(1)}%`;
      element("span", `lx-value${best_}`, probGrid, `${(100 * p).toFixed(1)} %`);
    });
    root.dataset.probabilities = JSON.stringify(probabilities);
  };

  let mapCanvases = []; // per layer, per channel
  const buildMaps = () => {
    mapsBox.replaceChildren();
    mapCanvases = model.get("layers").map((layer, index) => {
      const box = element("div", "lx-layer", mapsBox);
      element("div", "lx-title", box, layer.title.replace(" · ", "\n"));
      const row = element("div", "lx-maps", box);
      const gaps = 3 * (layer.channels - 1);
      const fit = Math.floor((MAPS_WIDTH - gaps) / (layer.channels * layer.width));
      const scale = Math.max(1, Math.min(Math.floor(MAP_HEIGHT / layer.height), fit));
      return Array.from({ length: layer.channels }, (_, channel) => {
        const wrap = element("div", "lx-map", row);
        wrap.title = `map ${channel}`;
        const canvas = element("canvas", `lx-map-${index}`, wrap);
        const cursor = element("div", "lx-cursor", wrap);
        canvas.dataset.layer = index;
        canvas.dataset.channel = channel;
        canvas.dataset.scale = scale;
        canvas.addEventListener("mousemove", (event) => point(event, index, channel, scale));
        canvas.addEventListener("mouseleave", () => unpoint());
        return { canvas, cursor };
      });
    });
  };

  const drawMaps = () => {
    model.get("layers").forEach((layer, index) => {
      const values = maps[index];
      let low = Infinity;
      let high = -Infinity; // one grey scale per layer, so its maps compare
      for (const v of values) {
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
      const area = layer.height * layer.width;
      mapCanvases[index].forEach(({ canvas }, channel) => {
        const start = channel * area;
        drawGrey(canvas, values.subarray(start, start + area), layer.height, layer.width, low,
                 high, Number(canvas.dataset.scale));
      });
    });
  };

  const describe = () => {
    if (pointed === null) return "Point at a value of a feature map to see its receptive field.";
    const [layer, channel, row, col] = pointed;
    const info = model.get("layers")[layer];
    const value = maps[layer][(channel * info.height + row) * info.width + col];
    const at = 4 * (row * info.width + col);
    const [fTop, fLeft, fHeight, fWidth] = fields[layer].slice(at, at + 4);
    return `${info.title.split(" · ")[0]}, map ${channel}, (${row}, ${col}) = `
      + `${value.toFixed(3)}; receptive field: input rows ${fTop}–${fTop + fHeight - 1}, `
      + `columns ${fLeft}–${fLeft + fWidth - 1} (${fHeight}×${fWidth})`;
  };

  const showPointed = () => {
    for (const layer of mapCanvases) for (const { cursor } of layer) cursor.style.display = "none";
    if (pointed !== null) {
      const [layer, channel, row, col] = pointed;
      const { canvas, cursor } = mapCanvases[layer][channel];
      const scale = Number(canvas.dataset.scale);
      Object.assign(cursor.style, {
        display: "block", left: `${col * scale}px`, top: `${row * scale}px`,
        width: `${scale}px`, height: `${scale}px`,
      });
    }
    root.dataset.pointed = pointed === null ? "" : pointed.join(",");
    readout.textContent = describe();
    showInput();
  };

  const point = (event, layer, channel, scale) => {
    const row = Math.floor(event.offsetY / scale);
    const col = Math.floor(event.offsetX / scale);
    const info = model.get("layers")[layer];
    if (row < 0 || col < 0 || row >= info.height || col >= info.width) return;
    const next = [layer, channel, row, col];
    if (pointed !== null && next.every((v, i) => v === pointed[i])) return;
    const started = event.timeStamp; // when the mouse moved
    pointed = next;
    safely("show the receptive field", showPointed);
    afterFrame(() => latencies.hover.push(performance.now() - started));
    model.set("pointed", next); // only when the pointed value changes
    model.save_changes();
  };
  const unpoint = () => {
    pointed = null;
    safely("clear the receptive field", showPointed);
    model.set("pointed", []);
    model.save_changes();
  };

  const showAll = () => {
    const errorText = model.get("error");
    errorLine.textContent = errorText;
    image = floats(model.get("image"));
    const layers = model.get("layers");
    const all = floats(model.get("maps"));
    let offset = 0;
    maps = layers.map((layer) => {
      const length = layer.channels * layer.height * layer.width;
      const part = all.subarray(offset, offset + length);
      offset += length;
      return part;
    });
    if (offset !== all.length) throw new Error(`maps hold ${all.length} values, not ${offset}`);
    caption.textContent = model.get("caption");
    showProbabilities();
    drawMaps();
    showPointed();
    const stroke = model.get("answered");
    if (strokeStarted.has(stroke)) {
      const started = strokeStarted.get(stroke);
      strokeStarted.delete(stroke);
      afterFrame(() => latencies.stroke.push(performance.now() - started));
    }
    root.dataset.answered = stroke;
  };

  const readFields = () => {
    const all = shorts(model.get("fields"));
    let offset = 0;
    fields = model.get("layers").map((layer) => {
      const length = layer.height * layer.width * 4;
      const part = all.subarray(offset, offset + length);
      offset += length;
      return part;
    });
  };

  safely("build the feature maps", () => {
    readFields();
    buildMaps();
    showAll();
  });
  const onLayers = () => safely("rebuild the feature maps", () => {
    pointed = null;
    readFields();
    buildMaps();
    showAll();
  });
  // One message from Python changes several traits, each firing its own event: draw once.
  let scheduled = false;
  const onAnswer = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      safely("show the network's answer", showAll);
    });
  };
  const onError = () => { errorLine.textContent = model.get("error"); };
  model.on("change:answered", onAnswer);
  model.on("change:maps", onAnswer);
  model.on("change:probabilities", onAnswer);
  model.on("change:layers", onLayers);
  model.on("change:error", onError);
  return () => {
    model.off("change:answered", onAnswer);
    model.off("change:maps", onAnswer);
    model.off("change:probabilities", onAnswer);
    model.off("change:layers", onLayers);
    model.off("change:error", onError);
  };
}

export default { render };
