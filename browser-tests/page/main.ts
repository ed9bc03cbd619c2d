// The suite in a page: results go to window.__suite for the runner (test/browser.test.ts)
// and to the page for a person who opens it.
import { environment, runChecks, type CheckResult, type Environment } from "../src/suite";

declare global {
  interface Window {
    __suite?: { environment: Environment; results: CheckResult[] } | { error: string };
  }
}

function show(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el !== null) el.textContent = text;
}

// After the first paint, so the page says it is running.
setTimeout(() => {
  try {
    const results = runChecks();
    const env = environment();
    window.__suite = { environment: env, results };
    const failed = results.filter((r) => !r.ok);
    show("status", `${results.length - failed.length} passed, ${failed.length} failed`);
    show("environment", JSON.stringify(env, null, 2));
    show("failures", failed.map((r) => `${r.name}\n  ${r.error}`).join("\n"));
  } catch (e) {
    window.__suite = { error: String(e) };
    show("status", `suite failed to run: ${String(e)}`);
  }
}, 0);
