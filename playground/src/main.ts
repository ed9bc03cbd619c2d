// The playground: three panels over @minigrad/tensor, nn and optim, imported by name.
import { memoryStats } from "@minigrad/tensor";
import { graphPanel } from "./graph/panel";
import { optimizersPanel } from "./optimizers/panel";
import { trainingPanel } from "./training/panel";
import { button, h } from "./ui";
import "./style.css";

const PANELS = [
  { id: "graph", title: "Graph", make: graphPanel },
  { id: "optimizers", title: "Optimizers", make: optimizersPanel },
  { id: "training", title: "Training", make: trainingPanel },
] as const;

const app = document.getElementById("app") as HTMLElement;
const tabs = document.getElementById("tabs") as HTMLElement;
const made = new Map<string, HTMLElement>();

function show(id: string): void {
  const panel = PANELS.find((p) => p.id === id) ?? PANELS[0];
  let el = made.get(panel.id);
  if (el === undefined) {
    el = panel.make();
    made.set(panel.id, el);
    app.append(el);
  }
  for (const [key, other] of made) other.hidden = key !== panel.id;
  tabs.querySelectorAll("button").forEach((b) => b.classList.toggle("active", b.dataset.panel === panel.id));
  if (location.hash !== `#${panel.id}`) history.replaceState(null, "", `#${panel.id}`);
}

for (const p of PANELS) {
  const b = button(p.title, { "data-panel": p.id, "data-testid": `tab-${p.id}` });
  b.addEventListener("click", () => show(p.id));
  tabs.append(b);
}
show(location.hash.slice(1));

// What this page runs on: cross-origin isolation gives SharedArrayBuffer, hence minigrad's arena.
const env = document.getElementById("environment") as HTMLElement;
const arena = memoryStats().arena;
env.dataset.isolated = String(crossOriginIsolated);
env.dataset.arena = String(arena);
env.append(h("span", {}, `cross-origin isolated: ${crossOriginIsolated ? "yes" : "no"} · SharedArrayBuffer: ${typeof SharedArrayBuffer === "function" ? "yes" : "no"} · ` +
  `arena: ${arena ? "on (large tensors live in shared wasm memory)" : "off (the wasm kernels run through copies)"} · one thread (the worker is Node's)`));
