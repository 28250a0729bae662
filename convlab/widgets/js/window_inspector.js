// The WindowInspector's view (convlab/widgets/window_inspector.py): point at a feature-map pixel
// and see the k×k window of the input that made it, the products X[i+a, j+b]·K[a, b], their sum.
// Python sends every number as float32 bytes; this module only indexes and formats them, so
// pointing needs no kernel round trip. The pointed cell goes back to Python when it changes, as
// the pointed trait: [row, column], or [] when nothing is pointed at.
//
// Hooks for a browser test: the root has class "kernel-inspector", data-pointed="row,col" and
// data-window="top,left,height,width" (both "" when nothing is pointed at), and __latencies, the
// milliseconds from a mouse move onto a new cell until the frame that shows it; the products are
// ".kernel-product" cells, the sum ".kernel-window-sum", an error ".kernel-inspector-error".
// Keyboard: the map canvas is focusable; arrows move the pointed pixel through the same code as
// the mouse; ".kernel-inspector-live" (role="status") says one sentence per pointed pixel once it
// rests for announce_ms. Every word comes from the texts trait (Python's TEXTS).

const PICTURE_PX = 196; // the longer side of the input picture on screen (beside the controls)
const SCALE_RANGE = [6, 40]; // screen pixels per image pixel: always pointable, never huge
const NOT_POINTED = []; // nothing under the mouse, in the view and in the pointed trait
const DATA_TRAITS = [
  "image", "image_shape", "image_range", "kernel", "kernel_size",
  "feature_map", "map_shape", "map_limit", "products", "map_colors", "texts", "listed_max",
];

const ARROWS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

const STYLE = `
.kernel-inspector { font-size: 13px; margin-top: 6px; }
.kernel-inspector-caption { margin-bottom: 6px; }
.kernel-inspector-panels { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.kernel-inspector-title { margin-bottom: 3px; }
.kernel-inspector-frame { position: relative; line-height: 0; }
.kernel-inspector canvas { image-rendering: pixelated; display: block; }
.kernel-inspector-map { cursor: crosshair; }
.kernel-inspector-map:focus { outline: none; }
.kernel-inspector-map:focus-visible { outline: 3px solid #1565c0; outline-offset: 2px; }
.kernel-inspector-keys { margin-bottom: 6px; color: #333; }
.kernel-inspector-live { position: absolute; width: 1px; height: 1px; overflow: hidden;
                         clip-path: inset(50%); white-space: nowrap; }
.kernel-inspector-mark { position: absolute; box-sizing: border-box; pointer-events: none; }
.kernel-inspector-window { border: 3px solid #e00; }
.kernel-inspector-cell { border: 2px solid #000; box-shadow: 0 0 0 1px #fff; }
.kernel-products { display: grid; gap: 3px; margin: 4px 0; font: 12px monospace; }
.kernel-product { border: 1px solid #ccc; padding: 2px 4px; white-space: nowrap; min-width: 5em; }
.kernel-product span { display: block; }
.kernel-window-sum { font-family: monospace; font-size: 14px; font-weight: bold; }
.kernel-inspector-error { color: #b00; white-space: pre-wrap; }
`;

// Three significant digits exactly as Python's f"{value:.3g}" (window_inspector.short) writes
// them, so the view and window_text agree: fixed notation for exponents -4..2, else "1.23e+03".
function short(value) {
  const rounded = Number((0 + value).toPrecision(3)); // 0 + v turns -0 into 0
  const exponent = rounded === 0 ? 0 : Math.floor(Math.log10(Math.abs(rounded)));
  if (exponent >= -4 && exponent < 3) return String(rounded);
  const [mantissa, power] = rounded.toExponential(2).split("e");
  return `${Number(mantissa)}e${power[0]}${power.slice(1).padStart(2, "0")}`;
}
const factor = (value) => (value < 0 ? `(${short(value)})` : short(value));
const samePointed = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

function element(tag, className, parent) {
  const node = document.createElement(tag);
  node.className = className;
  parent?.appendChild(node);
  return node;
}

function buildView(el) {
  const root = element("div", "kernel-inspector", el);
  root.__latencies = [];
  element("style", "", root).textContent = STYLE;
  const view = { root, caption: element("div", "kernel-inspector-caption", root) };
  view.keys = element("div", "kernel-inspector-keys", root);
  view.live = element("div", "kernel-inspector-live", root);
  view.live.setAttribute("role", "status");
  view.live.setAttribute("aria-live", "polite");
  const panels = element("div", "kernel-inspector-panels", root);
  for (const [name, markClass] of [["input", "window"], ["map", "cell"]]) {
    const panel = element("div", "", panels);
    view[`${name}Title`] = element("div", "kernel-inspector-title", panel);
    const frame = element("div", "kernel-inspector-frame", panel);
    view[`${name}Canvas`] = element("canvas", `kernel-inspector-${name}`, frame);
    const markClasses = `kernel-inspector-mark kernel-inspector-${markClass}`;
    view[`${name}Mark`] = element("div", markClasses, frame);
  }
  const computation = element("div", "kernel-inspector-computation", panels);
  view.formula = element("div", "kernel-inspector-formula", computation);
  view.grid = element("div", "kernel-products", computation);
  view.sum = element("div", "kernel-window-sum", computation);
  view.error = element("div", "kernel-inspector-error", root);
  view.mapCanvas.tabIndex = 0;
  view.mapCanvas.setAttribute("role", "application");
  view.inputCanvas.setAttribute("role", "img");
  return view;
}

// A text of the texts trait with its {names} filled in from `values`.
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

// A bytes trait arrives as a DataView (or another view of an ArrayBuffer, or the buffer itself).
function bytesOf(model, name) {
  const value = model.get(name);
  if (value instanceof ArrayBuffer) return new DataView(value);
  if (ArrayBuffer.isView(value)) {
    return new DataView(value.buffer, value.byteOffset, value.byteLength);
  }
  throw new Error(`${name}: expected bytes, got ${value}`);
}

// `count` little-endian float32 values, whatever the alignment of the buffer.
function floats(model, name, count) {
  const bytes = bytesOf(model, name);
  if (bytes.byteLength !== 4 * count) {
    throw new Error(`${name}: expected ${count} float32 values (${4 * count} bytes), `
                    + `got ${bytes.byteLength} bytes`);
  }
  return Float32Array.from({ length: count }, (_, i) => bytes.getFloat32(4 * i, true));
}

function shape(model, name) {
  const value = model.get(name);
  const ok = Array.isArray(value) && value.length === 2 && value.every(Number.isInteger);
  if (!ok) throw new Error(`${name}: expected [height, width], got ${JSON.stringify(value)}`);
  return value;
}

function readData(model) {
  const [h, w] = shape(model, "image_shape");
  const [oh, ow] = shape(model, "map_shape");
  const k = model.get("kernel_size");
  if (h * w > 0 && (oh !== h - k + 1 || ow !== w - k + 1)) {
    throw new Error(`map_shape [${oh}, ${ow}] does not fit a ${h}×${w} image `
                    + `and a ${k}×${k} kernel`);
  }
  const colorBytes = bytesOf(model, "map_colors");
  const colors = new Uint8Array(colorBytes.buffer, colorBytes.byteOffset, colorBytes.byteLength);
  if (colors.length === 0 || colors.length % 3 !== 0) {
    throw new Error(`map_colors: expected RGB triples, got ${colors.length} bytes`);
  }
  return {
    h, w, k, oh, ow, colors,
    image: floats(model, "image", h * w),
    kernel: floats(model, "kernel", k * k),
    map: floats(model, "feature_map", oh * ow),
    products: floats(model, "products", oh * ow * k * k),
    imageRange: model.get("image_range"),
    mapLimit: model.get("map_limit"),
    texts: model.get("texts"),
    listedMax: model.get("listed_max"),
  };
}

function paint(canvas, height, width, scale, values, rgbOf) {
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
  if (values.length === 0) return;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(width, height);
  values.forEach((value, n) => {
    pixels.data.set([...rgbOf(value), 255], 4 * n);
  });
  context.putImageData(pixels, 0, 0);
}

function drawPictures(view, data) {
  const [low, high] = data.imageRange;
  const grey = (v) => {
    const level = Math.round((255 * (v - low)) / (high - low || 1));
    return [level, level, level];
  };
  const steps = data.colors.length / 3;
  const diverging = (v) => {
    const t = (v + data.mapLimit) / (2 * data.mapLimit); // -limit → 0, 0 → 1/2, limit → 1
    const n = Math.max(0, Math.min(steps - 1, Math.floor(t * steps)));
    return data.colors.subarray(3 * n, 3 * n + 3);
  };
  const fitting = Math.floor(PICTURE_PX / Math.max(data.h, data.w, 1));
  const scale = Math.max(SCALE_RANGE[0], Math.min(SCALE_RANGE[1], fitting));
  paint(view.inputCanvas, data.h, data.w, scale, data.image, grey);
  paint(view.mapCanvas, data.oh, data.ow, scale, data.map, diverging);
  const sizes = { h: data.oh, w: data.ow, k: data.k };
  view.inputTitle.textContent = fill(data.texts.input_title, { h: data.h, w: data.w });
  view.mapTitle.textContent = fill(data.texts.map_title, sizes);
  view.mapCanvas.setAttribute("aria-label", fill(data.texts.map_label, sizes));
  view.inputCanvas.setAttribute("aria-label", fill(data.texts.input_label, { h: data.h, w: data.w }));
  view.scale = scale;
  view.grid.style.gridTemplateColumns = `repeat(${data.k}, auto)`;
  view.cells = Array.from({ length: data.k * data.k }, () => element("div", "kernel-product"));
  view.grid.replaceChildren(...view.cells);
}

function place(mark, top, left, height, width, scale) {
  Object.assign(mark.style, {
    display: "block", top: `${top * scale}px`, left: `${left * scale}px`,
    height: `${height * scale}px`, width: `${width * scale}px`,
  });
}

function isInside(cell, data) {
  const [row, column] = cell;
  return cell.length === 2 && row >= 0 && row < data.oh && column >= 0 && column < data.ow;
}

// Outline the window and the pointed pixel, and write the products and their sum.
function showPointed(view, data, cell) {
  const pointed = data !== null && isInside(cell, data);
  view.root.dataset.pointed = pointed ? cell.join(",") : "";
  view.root.dataset.window = pointed ? [...cell, data.k, data.k].join(",") : "";
  view.inputMark.style.display = view.mapMark.style.display = pointed ? "block" : "none";
  if (!pointed) {
    view.formula.textContent = data ? "Y[i, j] = Σ X[i+a, j+b]·K[a, b]" : "";
    view.cells?.forEach((node) => { node.textContent = "·"; node.style.background = ""; });
    view.sum.textContent = data ? "Σ = ?" : "";
    return;
  }
  const [i, j] = cell;
  const { k, w, ow } = data;
  place(view.inputMark, i, j, k, k, view.scale);
  place(view.mapMark, i, j, 1, 1, view.scale);
  view.formula.textContent = `Y[${i}, ${j}] = Σ X[${i}+a, ${j}+b]·K[a, b]`;
  const first = (i * ow + j) * k * k;
  view.cells.forEach((node, n) => {
    const [a, b] = [Math.floor(n / k), n % k];
    const [x, weight, product] = [data.image[(i + a) * w + j + b], data.kernel[n],
                                  data.products[first + n]];
    const factors = element("span", "");
    factors.textContent = `${short(x)}·${factor(weight)}`;
    const result = element("span", "");
    result.textContent = `= ${short(product)}`;
    node.replaceChildren(factors, " ", result);
    node.style.background = product > 0 ? "#fde0dd" : product < 0 ? "#dbe9f6" : "";
  });
  view.sum.textContent = `Σ = ${short(data.map[i * ow + j])}`;
}

// The live region's sentence for a pointed cell (window_inspector.sentence in Python).
function sentence(data, cell) {
  if (data === null || !isInside(cell, data)) return "";
  const [i, j] = cell;
  const { k, w, ow } = data;
  const sum = short(data.map[i * ow + j]);
  if (k * k > data.listedMax) {
    return fill(data.texts.sentence_window, {
      i, j, sum, n: k * k, k, top: i, bottom: i + k - 1, left: j, right: j + k - 1,
    });
  }
  const terms = Array.from({ length: k * k }, (_, n) => {
    const [a, b] = [Math.floor(n / k), n % k];
    return `${short(data.image[(i + a) * w + j + b])}·${factor(data.kernel[n])}`;
  });
  return fill(data.texts.sentence_products, { i, j, sum, products: terms.join(" + ") });
}

function cellUnder(event, canvas, data) {
  const box = canvas.getBoundingClientRect();
  const row = Math.floor(((event.clientY - box.top) / box.height) * data.oh);
  const column = Math.floor(((event.clientX - box.left) / box.width) * data.ow);
  return [Math.max(0, Math.min(data.oh - 1, row)), Math.max(0, Math.min(data.ow - 1, column))];
}

function render({ model, el }) {
  const view = buildView(el);
  let data = null;
  let shown = NOT_POINTED;
  const fail = (error) => {
    view.error.textContent = fill(model.get("texts").failed, { error: error.message });
    console.error("window inspector:", error);
  };
  const safely = (action) => (...args) => {
    try {
      action(...args);
    } catch (error) {
      fail(error);
    }
  };
  // The live region speaks once the pointed pixel rests: held arrows do not flood it.
  let announcing = null;
  const announce = (cell) => {
    clearTimeout(announcing);
    announcing = setTimeout(() => {
      view.live.textContent = sentence(data, shown);
    }, model.get("announce_ms"));
    if (cell.length === 0) view.live.textContent = "";
  };
  const point = (cell) => {
    shown = cell;
    showPointed(view, data, cell);
    announce(cell);
  };
  const redraw = safely(() => {
    data = null; // no pointing into half-read data
    view.caption.textContent = model.get("caption");
    view.keys.textContent = model.get("texts").keys;
    const fresh = readData(model);
    drawPictures(view, fresh);
    data = fresh;
    view.error.textContent = "";
    point(model.get("pointed"));
  });
  // A new kernel or image changes several traits in one message: draw once, after all of them.
  let pending = false;
  const redrawSoon = () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      redraw();
    });
  };
  const sendPointed = (cell) => {
    model.set("pointed", cell);
    model.save_changes();
  };
  // Mouse and keys both point through here.
  const moveTo = (cell, start) => {
    if (samePointed(cell, shown)) return;
    point(cell);
    // rAF runs just before the next frame is drawn; the timeout after it, once it is drawn.
    requestAnimationFrame(() => setTimeout(() => {
      view.root.__latencies.push(performance.now() - start);
    }, 0));
    sendPointed(cell);
  };
  const onMove = safely((event) => {
    if (data === null || data.oh * data.ow === 0) return;
    // event.timeStamp: when the mouse moved (the clock of performance.now())
    moveTo(cellUnder(event, view.mapCanvas, data), event.timeStamp);
  });
  const onKey = safely((event) => {
    if (data === null || data.oh * data.ow === 0) return;
    const step = ARROWS[event.key];
    let cell = null;
    if (step !== undefined) {
      const [row, column] = shown.length === 2 ? shown : [0, 0];
      const moved = shown.length === 2 ? [row + step[0], column + step[1]] : [row, column];
      cell = [Math.max(0, Math.min(data.oh - 1, moved[0])),
              Math.max(0, Math.min(data.ow - 1, moved[1]))];
    } else if (event.key === "Home") {
      cell = [0, 0];
    } else if (event.key === "Escape") {
      cell = NOT_POINTED;
    } else {
      return;
    }
    event.preventDefault(); // no page scrolling
    event.stopPropagation(); // no JupyterLab shortcut (Escape: command mode)
    moveTo(cell, event.timeStamp);
  });
  const onLeave = safely(() => {
    if (shown.length === 0) return;
    point(NOT_POINTED);
    sendPointed(NOT_POINTED);
  });
  const onPointedFromPython = safely(() => {
    const cell = model.get("pointed");
    if (!samePointed(cell, shown)) point(cell); // not our own echo
  });
  view.mapCanvas.addEventListener("mousemove", onMove);
  view.mapCanvas.addEventListener("mouseleave", onLeave);
  view.mapCanvas.addEventListener("keydown", onKey);
  model.on("change:pointed", onPointedFromPython);
  model.on("change:caption", redrawSoon);
  for (const name of DATA_TRAITS) model.on(`change:${name}`, redrawSoon);
  redraw();
  return () => {
    clearTimeout(announcing);
    model.off("change:pointed", onPointedFromPython);
    model.off("change:caption", redrawSoon);
    for (const name of DATA_TRAITS) model.off(`change:${name}`, redrawSoon);
  };
}

export default { render };
